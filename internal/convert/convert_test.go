package convert

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/namedconf"
	"github.com/corebind/corebind/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden Corefiles and reports")

var testOptions = Options{
	Hostname: "ns.test",
	Local:    []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("192.0.2.53/24")},
}

func convertFile(t *testing.T, path string) *Result {
	t.Helper()
	cfg, err := namedconf.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Convert(cfg, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCorpusGolden converts every corpus configuration and compares the
// Corefile and the plain report with the golden files (go test -update
// rewrites them). The end-to-end test (e2e/named2corefile_test.go) starts
// each conversion beside BIND and compares their answers.
func TestCorpusGolden(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/corpus/*")
	if len(dirs) < 6 {
		t.Fatalf("corpus has %d configurations", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			// A copy where Debian's /etc/bind paths lead into the copy, so
			// that this machine's own /etc/bind does not count; paths are
			// written as CORPUS/... in the golden files.
			tmp := t.TempDir()
			copyCorpus(t, dir, tmp)
			r := convertFile(t, filepath.Join(tmp, "named.conf"))
			var rep strings.Builder
			r.WriteText(&rep)
			clean := func(s string) string { return strings.ReplaceAll(s, tmp, "CORPUS") }
			for file, got := range map[string]string{"Corefile.golden": clean(r.Corefile), "report.golden": clean(rep.String())} {
				path := filepath.Join(dir, file)
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs (go test -update rewrites it):\n%s", path, got)
				}
			}
			// Every statement is in the report.
			seen := map[namedconf.Pos]bool{}
			for _, e := range r.Entries {
				seen[e.Pos] = true
			}
			cfg, _ := namedconf.ParseFile(filepath.Join(tmp, "named.conf"))
			var walk func([]*namedconf.Statement, bool)
			walk = func(stmts []*namedconf.Statement, list bool) {
				for _, s := range stmts {
					if !list && s.Name() != "options" && s.Name() != "logging" && !seen[s.Pos] {
						t.Errorf("%s: %s is not in the report", s.Pos, s)
					}
					switch s.Name() {
					case "options", "view", "zone", "logging":
						walk(s.Body(), false)
					}
				}
			}
			walk(cfg.Statements, false)
		})
	}
}

// copyCorpus copies a corpus directory, pointing its named.conf paths
// (/etc/bind, /usr/share/dns) at the copy.
func copyCorpus(t *testing.T, from, to string) {
	testkit.CopyDir(t, from, to, func(p string, b []byte) []byte {
		if strings.Contains(filepath.Base(p), "conf") {
			b = []byte(strings.NewReplacer("/etc/bind/", to+"/", "/usr/share/dns/", to+"/").Replace(string(b)))
		}
		return b
	})
}

func convertText(t *testing.T, text string) *Result {
	t.Helper()
	path := filepath.Join(t.TempDir(), "named.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return convertFile(t, path)
}

// wantCorefile checks that each text is in the converted Corefile.
func wantCorefile(t *testing.T, r *Result, texts ...string) {
	t.Helper()
	for _, w := range texts {
		if !strings.Contains(r.Corefile, w) {
			t.Errorf("want\n%s\nin\n%s", w, r.Corefile)
		}
	}
}

func status(r *Result, what string) (Status, string) {
	for _, e := range r.Entries {
		if strings.Contains(e.What, what) {
			return e.Status, e.Note
		}
	}
	return "", ""
}

func TestRecursionDefaultsAndInheritance(t *testing.T) {
	for _, tc := range []struct{ name, opts, want string }{
		{"defaults", "", "allow localnets localhost"},
		{"allow-recursion only", "allow-recursion { 10.0.0.0/8; };", "allow 10.0.0.0/8"},
		{"allow-query-cache inherited", "allow-query-cache { 192.168.0.0/16; !192.168.1.1; };", "allow 192.168.0.0/16 !192.168.1.1"},
		{"recursion no", "recursion no; allow-recursion { any; };", "allow none"},
		{"short prefix and nested", "allow-recursion { 10/8; { 172.16/12; }; key \"k\"; };", "allow 10.0.0.0/8 nested-1 key k."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := convertText(t, `key "k" { algorithm hmac-sha256; secret "c2VjcmV0"; }; options { `+tc.opts+` forwarders { 192.0.2.1; }; forward only; };`)
			if !strings.Contains(r.Corefile, "    "+tc.want+"\n") {
				t.Errorf("want %q in\n%s", tc.want, r.Corefile)
			}
		})
	}
}

func TestStubTrapReported(t *testing.T) {
	r := convertText(t, `options { forwarders { 192.0.2.1; }; forward only; };
zone "corp.example" { type stub; masters { 192.0.2.53; }; };
zone "ok.example" { type stub; masters { 192.0.2.53; }; forwarders { }; };`)
	st, note := status(r, `zone "corp.example"`)
	if st != Approx || !strings.Contains(note, "classic trap") {
		t.Errorf("corp.example: %s %s", st, note)
	}
	if st, note := status(r, `zone "ok.example"`); st != Carried {
		t.Errorf("ok.example: %s %s", st, note)
	}
	if !strings.Contains(r.Corefile, "stubzones corp.example ok.example {") {
		t.Errorf("Corefile:\n%s", r.Corefile)
	}
}

func TestViewExpression(t *testing.T) {
	r := convertText(t, `acl inner { !10.0.0.5; 10.0.0.0/8; };
view a { match-clients { inner; !192.0.2.0/24; any; }; zone "x.example" { type forward; forwarders { 192.0.2.1 port 5300; }; }; };`)
	// inner matches positively only for 10/8 without 10.0.0.5; its negated
	// element is "no match" in the outer list (BIND's rule), which then
	// goes on to !192.0.2.0/24 and any.
	want := "expr ((!incidr(trim(client_ip(), '[]'), '10.0.0.5/32') && incidr(trim(client_ip(), '[]'), '10.0.0.0/8')) || !incidr(trim(client_ip(), '[]'), '192.0.2.0/24'))"
	wantCorefile(t, r, want)
	if !strings.Contains(r.Corefile, "forward x.example 192.0.2.1:5300") {
		t.Errorf("forward zone missing:\n%s", r.Corefile)
	}
}

func TestUnknownAndNotCarried(t *testing.T) {
	r := convertText(t, `options { rate-limit { responses-per-second 5; }; frobnicate yes; };
frobnicate-all { a; };`)
	if !r.Lossy() {
		t.Fatal("not lossy")
	}
	if st, _ := status(r, "frobnicate yes"); st != NotCarried {
		t.Errorf("unknown option: %s", st)
	}
	if st, _ := status(r, "frobnicate-all"); st != NotCarried {
		t.Errorf("unknown top-level statement: %s", st)
	}
	var md strings.Builder
	if err := r.WriteMarkdown(&md, "named.conf"); err != nil || !strings.Contains(md.String(), "## Not carried") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}

func TestRFC2317Parent(t *testing.T) {
	r := convertFile(t, "testdata/corpus/rfc2317-parent/named.conf")
	wantCorefile(t, r,
		"delegate 192.0.2.0/26 ns1.customer-a.example. ns2.customer-a.example.",
		"delegate 192.0.2.64/29 ns.customer-b.example.",
		"label 192.0.2.64/29 65-70",
		"addresses 192.0.2.64/29 65-70",
		"ttl 3600",
	)
}

func TestAllowQueryAndTransfer(t *testing.T) {
	r := convertText(t, `acl sec { 192.0.2.2; };
options { allow-query { 10.0.0.0/8; !10.0.0.9; }; blackhole { 198.51.100.0/24; }; };
zone "a.example" { type primary; file "db.a"; allow-query { any; }; allow-transfer { sec; }; };`)
	wantCorefile(t, r,
		"acl {\n        drop net 198.51.100.0/24\n    }",
		"acl a.example {\n        allow net *\n    }",
		"acl a.example {\n        allow type AXFR IXFR net 192.0.2.2\n        block type AXFR IXFR net *\n    }",
		"acl {\n        allow net 10.0.0.0/8\n        block net 10.0.0.9\n        block net *\n    }",
		"transfer a.example {\n        to *\n    }",
	)
	// blackhole first, then the zone's rules, then the server-wide list.
	if i, j := strings.Index(r.Corefile, "drop net"), strings.Index(r.Corefile, "allow net *"); i > j {
		t.Errorf("acl order:\n%s", r.Corefile)
	}
}

func TestAllowRecursionFromIncludedFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "customers.acl"), []byte("# customers\n192.0.2.0/24;\n!198.51.100.7;\n198.51.100.0/24;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(path, []byte("options {\n\tallow-recursion {\n\t\tlocalhost;\n\t\tinclude \"customers.acl\";\n\t\t10.0.0.0/8;\n\t};\n};\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := convertFile(t, path)
	want := "allow localhost\n        allow-file " + filepath.Join(dir, "customers.acl") + "\n        allow 10.0.0.0/8\n"
	wantCorefile(t, r, want)
}

func TestChaosView(t *testing.T) {
	r := convertText(t, `acl ops { 127.0.0.1; { 10.53.0.0/16; }; };
key "k" { algorithm hmac-sha256; secret "c2VjcmV0"; };
options { version "DNS"; };
view "chaos" CH { match-clients { ops; key "k"; }; zone "bind" CH { type master; file "db.bind"; }; };
view "default" { match-clients { any; }; };`)
	wantCorefile(t, r, "reveal 127.0.0.1 10.53.0.0/16 key k.\n", "    chaos\n", "secret k. c2VjcmV0\n", "version DNS\n")
	if strings.Contains(r.Corefile, "view chaos") {
		t.Errorf("a CH view became a server block:\n%s", r.Corefile)
	}
}

// TestRateLimit: rate-limit becomes rrl option for option, exempt-clients
// inlined (rrl takes no acl names or keys), the rate-limit category its log.
func TestRateLimit(t *testing.T) {
	r := convertText(t, `acl office { 192.0.2.0/24; { 10/8; }; };
key "k" { algorithm hmac-sha256; secret "c2VjcmV0"; };
options { directory "/var/cache/bind"; rate-limit { responses-per-second 5; nxdomains-per-second 2; window 5; slip 3; log-only yes; ipv6-prefix-length 48; exempt-clients { office; !192.0.2.9; key "k"; }; }; };
logging { channel rl { file "rl.log"; }; category rate-limit { rl; }; };
view "a" { rate-limit { all-per-second 50; }; };
view "b" { };`)
	wantCorefile(t, r, "rrl {\n        responses-per-second 5\n        nxdomains-per-second 2\n        window 5\n        slip 3\n        log-only yes\n        ipv6-prefix-length 48\n        exempt-clients 192.0.2.0/24 10.0.0.0/8 !192.0.2.9\n        log file /var/cache/bind/rl.log\n    }",
		"rrl {\n        all-per-second 50\n        log file /var/cache/bind/rl.log\n    }")
	if st, note := status(r, "options: rate-limit"); st != Approx || !strings.Contains(note, "exempt-clients: key k left out") {
		t.Errorf("rate-limit: %s %s", st, note)
	}
	if st, note := status(r, "category rate-limit"); st != Carried {
		t.Errorf("category rate-limit: %s %s", st, note)
	}
	if strings.Contains(r.Corefile, "tsig") {
		t.Errorf("a key left out of exempt-clients became a tsig secret:\n%s", r.Corefile)
	}
}

// TestStatisticsChannelsAllow: with query logging on, statistics-channels
// becomes querylog's stats listener with BIND's allow list (acls written
// out, keys left out with a note), and without allow BIND's default, any.
func TestStatisticsChannelsAllow(t *testing.T) {
	for _, tc := range []struct{ name, inet, want, note string }{
		{"list", `inet 127.0.0.1 port 8053 allow { ops; !192.0.2.9; 192.0.2.0/24; key "k"; };`,
			"listen 127.0.0.1:8053\n            allow 10.53.0.0/16 !192.0.2.9 192.0.2.0/24\n", "key k"},
		{"default", `inet 127.0.0.1 port 8053;`, "listen 127.0.0.1:8053\n            allow any\n", "allow list is carried"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := convertText(t, `acl ops { 10.53.0.0/16; };
key "k" { algorithm hmac-sha256; secret "c2VjcmV0"; };
options { querylog yes; forwarders { 192.0.2.1; }; forward only; };
statistics-channels { `+tc.inet+` };`)
			wantCorefile(t, r, tc.want)
			if st, note := status(r, "statistics-channels"); st != Approx || !strings.Contains(note, tc.note) {
				t.Errorf("statistics-channels: %s %s", st, note)
			}
		})
	}
}
