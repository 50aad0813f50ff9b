package namedconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := ParseString("named.conf", text)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

func TestParseStatements(t *testing.T) {
	c := mustParse(t, `
# hash comment
// slash comment
/* block
   comment */
acl "trusted" { 192.0.2.0/24; !192.0.2.66; { 10/8; key "k1"; }; localhost; localnets; };
key "k1" { algorithm hmac-sha256; secret "c2VjcmV0"; };
masters upstream port 5353 { 192.0.2.1 key k1; 2001:db8::1; };
primaries "p2" { upstream; };
options {
	directory "/var/named";
	listen-on port 53 { 127.0.0.1; /* inline */ 192.0.2.53; };
	allow-recursion { trusted; }; // trailing
	forwarders { 192.0.2.9 port 5301; };
	forward only;
	version "a \"quoted\" \\ text";
};
logging {
	channel q { file "q.log" versions 3 size 10m; print-time yes; };
	category queries { q; };
};
controls { inet 127.0.0.1 port 953 allow { localhost; } keys { "rndc-key"; }; };
statistics-channels { inet 127.0.0.1 port 8053 allow { 127.0.0.1; }; };
server 192.0.2.1 { keys { k1; }; };
tls local-tls { key-file "k.pem"; cert-file "c.pem"; };
view "inside" IN {
	match-clients { trusted; };
	zone "example.org" { type primary; file "db.example.org"; };
};
zone "example.net" in { type slave; masters { upstream; }; };
frobnicate "unknown" { whatever 1 2 3; };
`)
	names := []string{}
	for _, s := range c.Statements {
		names = append(names, s.Name())
	}
	want := "acl key masters primaries options logging controls statistics-channels server tls view zone frobnicate"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("statements:\n got %s\nwant %s", got, want)
	}
	acl := c.Statements[0]
	if acl.Arg(0) != "trusted" || len(acl.Body()) != 5 {
		t.Fatalf("acl: %s with %d elements", acl, len(acl.Body()))
	}
	if v := acl.Body()[1].Values[0]; !v.Not || v.Text != "192.0.2.66" {
		t.Errorf("negated element: %+v", v)
	}
	if v := acl.Body()[2].Values[0]; v.Kind != Block || len(v.Block) != 2 {
		t.Errorf("nested list: %+v", v)
	}
	if got := Find(c.Options(), "version").Arg(0); got != `a "quoted" \ text` {
		t.Errorf("escaped string: %q", got)
	}
	if c.Directory != "/var/named" {
		t.Errorf("directory %q", c.Directory)
	}
	if p := Find(c.Options(), "forward").Pos; p.Line != 15 {
		t.Errorf("forward at %s, want line 15", p)
	}
	lo := Find(c.Options(), "listen-on")
	if len(lo.Body()) != 2 || lo.Arg(0) != "port" || lo.Arg(1) != "53" {
		t.Errorf("listen-on: %s (%d elements)", lo, len(lo.Body()))
	}
	if ZoneType(Find(c.Statements, "zone")) != "slave" {
		t.Errorf("zone type")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"missing semicolon between options", "options {\n\trecursion yes\n\tallow-recursion { any; };\n};\n", "named.conf:3: missing ';' before 'allow-recursion'"},
		{"missing semicolon after block", "options {\n\tdirectory \"/x\";\n}\nzone \"a\" { type hint; file \"h\"; };\n", "named.conf:4: missing ';' before 'zone'"},
		{"missing semicolon in list", "acl a { 10.0.0.1 };\n", "named.conf:1: missing ';' before '}'"},
		{"unclosed block", "options {\n\trecursion no;\n", "named.conf:3: unexpected end of input: missing '}' for the '{' at line 1"},
		{"stray close", "};\n", "named.conf:1: unexpected '}'"},
		{"unterminated string", "options { version \"abc; };\n", "named.conf:1: unterminated quoted string"},
		{"unterminated comment", "/* never\nclosed\n", "named.conf:1: unterminated /* comment"},
		{"no semicolon at end", "options { recursion no; }", "named.conf:1: unexpected end of input: missing ';' after 'options'"},
		{"bang without element", "acl a { ! ; };", "named.conf:1: expected an address, acl name or list after '!'"},
		{"single value list", "options {\n recursion { yes; };\n};", "named.conf:2: 'recursion' takes a single value"},
		{"zone without block", "zone \"x\";\n", "named.conf:1: expected '{' in 'zone' statement"},
		{"missing include", "include \"nope.conf\";\n", "named.conf:1: include \"nope.conf\": file not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseString(filepath.Join(t.TempDir(), "named.conf"), tc.text)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			got := err.Error()
			if i := strings.Index(got, "named.conf:"); i >= 0 {
				got = got[i:]
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "named.conf"), "options { directory \""+filepath.Join(dir, "var")+"\"; };\ninclude \"conf.d/zones.conf\";\ninclude \"from-directory.conf\";\n")
	write(t, filepath.Join(dir, "conf.d/zones.conf"), "include \"more.conf\";\nzone \"a.example\" { type primary; file \"db.a\"; };\n")
	write(t, filepath.Join(dir, "conf.d/more.conf"), "zone \"b.example\" { type primary; file \"db.b\"; };\n")
	write(t, filepath.Join(dir, "var/from-directory.conf"), "zone \"c.example\" { type primary; file \"db.c\"; };\n")
	c, err := ParseFile(filepath.Join(dir, "named.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var zones []string
	for _, s := range c.Statements {
		if s.Name() == "zone" {
			zones = append(zones, s.Arg(0)+"@"+filepath.Base(s.Pos.File))
		}
	}
	if got := strings.Join(zones, " "); got != "b.example@more.conf a.example@zones.conf c.example@from-directory.conf" {
		t.Errorf("zones: %s", got)
	}
	if len(c.Includes) != 3 {
		t.Errorf("includes: %+v", c.Includes)
	}
}

func TestIncludeCycle(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "named.conf"), "include \"a.conf\";\n")
	write(t, filepath.Join(dir, "a.conf"), "// a\ninclude \"b.conf\";\n")
	write(t, filepath.Join(dir, "b.conf"), "\n\ninclude \"a.conf\";\n")
	_, err := ParseFile(filepath.Join(dir, "named.conf"))
	if err == nil || !strings.Contains(err.Error(), "b.conf:3: include cycle: ") || !strings.HasSuffix(err.Error(), "a.conf -> "+filepath.Join(dir, "b.conf")+" -> "+filepath.Join(dir, "a.conf")) {
		t.Fatalf("got %v", err)
	}
}

func TestIncludeSelf(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "named.conf"), "include \"named.conf\";\n")
	if _, err := ParseFile(filepath.Join(dir, "named.conf")); err == nil || !strings.Contains(err.Error(), "include cycle") {
		t.Fatalf("got %v", err)
	}
}

func TestCopiedConfiguration(t *testing.T) {
	// /etc/bind/... paths resolve beside the including file when the
	// configuration was copied elsewhere (and /etc/bind has no such file).
	dir := t.TempDir()
	write(t, filepath.Join(dir, "named.conf"), "include \"/etc/bind/corebind-test-nonexistent/named.conf.local\";\n")
	write(t, filepath.Join(dir, "named.conf.local"), "zone \"x.example\" { type primary; file \"/etc/bind/corebind-test-nonexistent/db.x\"; };\n")
	write(t, filepath.Join(dir, "db.x"), "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n")
	zs, err := ZoneFiles(filepath.Join(dir, "named.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) != 1 || zs[0].Name != "x.example." || zs[0].File != filepath.Join(dir, "db.x") {
		t.Fatalf("zone files: %+v", zs)
	}
}

func TestZoneFilesInViews(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "named.conf"), `view a { zone "x.example" { type master; file "db.x"; }; zone "s.example" { type slave; masters { 192.0.2.1; }; }; };
view b { zone "x.example" { type primary; file "db.x"; }; zone "y.example" { type primary; file "db.y"; }; };
`)
	zs, err := ZoneFiles(filepath.Join(dir, "named.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) != 2 || zs[0].Name != "x.example." || zs[1].Name != "y.example." {
		t.Fatalf("zone files: %+v", zs)
	}
}

func TestReadZoneGenerate(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "db"), "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns.example.\n$GENERATE 0-7 $ CNAME $.0/29\n$INCLUDE inc.db\n0/29 NS ns.customer.example.\n")
	write(t, filepath.Join(dir, "inc.db"), "$ORIGIN sub.2.0.192.in-addr.arpa.\nx A 192.0.2.1\n")
	rrs, err := ReadZone(filepath.Join(dir, "db"), "2.0.192.in-addr.arpa")
	if err != nil {
		t.Fatal(err)
	}
	if len(rrs) != 12 {
		t.Fatalf("%d records", len(rrs))
	}
	// miekg/dns gives $GENERATE records its default TTL (3600), not $TTL
	// as BIND does: the converter takes RFC 2317 TTLs from the NS records.
	if rrs[10].Header().Name != "x.sub.2.0.192.in-addr.arpa." || rrs[2].String() != "0.2.0.192.in-addr.arpa.\t3600\tIN\tCNAME\t0.0/29.2.0.192.in-addr.arpa." ||
		rrs[11].Header().Name != "0/29.2.0.192.in-addr.arpa." {
		t.Errorf("records: %v / %v / %v", rrs[10], rrs[2], rrs[11])
	}
}
