package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDelegations converts a primary zone with cuts below its apex under
// each policy BIND resolves them with.
func TestDelegations(t *testing.T) {
	const zone = `$TTL 300
@        SOA ns hostmaster 1 3600 900 604800 300
@        NS  ns
ns       A   127.0.0.1
sub      NS  ns.sub
ns.sub   A   127.0.0.53
deep.sub NS  ns.sub
other    NS  ns.elsewhere.example.
`
	for _, tc := range []struct {
		name, opts, zopts string
		want              []string // in the Corefile
		not               []string
		status            Status
	}{
		{name: "recursion, no forwarders", want: []string{"delegations example.org\n", "disable success example.org other.example.org sub.example.org"}, status: Carried},
		{name: "forward only", opts: "forwarders { 127.0.0.54; }; forward only;", want: []string{"delegations example.org {\n        forward\n    }"}, status: Carried},
		{name: "forward first", opts: "forwarders { 127.0.0.54; };", want: []string{"forward\n"}, status: Approx},
		{name: "zone forwarders empty", opts: "forwarders { 127.0.0.54; }; forward only;", zopts: "forwarders { };", want: []string{"delegations example.org\n"}, not: []string{"    forward\n"}, status: Carried},
		{name: "zone forwarders, no global", zopts: "forwarders { 127.0.0.54; };", want: []string{"delegations example.org\n"}, status: Approx},
		{name: "recursion no", opts: "recursion no;", not: []string{"delegations"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "db.example.org"), []byte(zone), 0o644); err != nil {
				t.Fatal(err)
			}
			r := convertText(t, `options { directory "`+dir+`"; `+tc.opts+` };
zone "example.org" { type primary; file "db.example.org"; `+tc.zopts+` };
`)
			wantCorefile(t, r, tc.want...)
			for _, w := range tc.not {
				if strings.Contains(r.Corefile, w) {
					t.Errorf("do not want %q in\n%s", w, r.Corefile)
				}
			}
			st, note := status(r, "names below its delegations (other.example.org sub.example.org)")
			if st != tc.status {
				t.Errorf("report: %q %q, want status %q", st, note, tc.status)
			}
		})
	}
}

// TestDelegationsMixed: one delegations per server block, the forwarders
// win and the zone that BIND would resolve itself is approximated.
func TestDelegationsMixed(t *testing.T) {
	dir := t.TempDir()
	for _, z := range []string{"a.example", "b.example"} {
		text := "$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A 127.0.0.1\nsub NS ns.sub\nns.sub A 127.0.0.53\n"
		if err := os.WriteFile(filepath.Join(dir, "db."+z), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := convertText(t, `options { directory "`+dir+`"; forwarders { 127.0.0.54; }; forward only; };
zone "a.example" { type primary; file "db.a.example"; };
zone "b.example" { type primary; file "db.b.example"; forwarders { }; };
`)
	wantCorefile(t, r, "delegations a.example b.example {\n        forward\n    }")
	if st, _ := status(r, `zone "a.example": names below`); st != Carried {
		t.Errorf("a.example: %q, want carried", st)
	}
	if st, note := status(r, `zone "b.example": names below`); st != Approx || !strings.Contains(note, "one delegations per server block") {
		t.Errorf("b.example: %q %q, want approximated", st, note)
	}
}
