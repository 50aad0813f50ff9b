package convert

import (
	"testing"

	"github.com/corebind/corebind/internal/namedconf"
)

// FuzzConvert: whatever parses converts without a panic.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{
		`options { recursion yes; allow-recursion { !10.0.0.1; { 10/8; key k; }; any; }; forwarders { 192.0.2.1 port 5300; }; forward only; };`,
		`acl a { 1.2.3.4; a; }; view v { match-clients { a; !{ b; }; }; zone "z" { type stub; masters { m; 1.2.3.4 key x; }; }; };`,
		`zone "x" { type forward; }; zone "y" { type static-stub; server-addresses { 1.2.3.4; }; }; zone "z" { type slave; };`,
		`logging { channel c { syslog local3; }; category queries { c; nope; }; category security { c; }; }; options { querylog yes; };`,
		`statistics-channels { inet * port 8080; }; options { listen-on port 5353 { !1.2.3.4; any; }; listen-on-v6 { ::1; }; };`,
		`zone "0/26.2.0.192.in-addr.arpa" { type primary; file "x"; }; zone "2.0.192.in-addr.arpa" { type master; file "y"; allow-transfer { key k; }; };`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := namedconf.ParseString("fuzz.conf", text)
		if err != nil {
			return
		}
		if _, err := Convert(cfg, testOptions); err != nil {
			t.Fatalf("convert: %v", err)
		}
	})
}
