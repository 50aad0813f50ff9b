package recursionacl

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
)

func TestSetup(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.acl")
	writeFile(t, good, "# trusted resolvers\n192.0.2.0/24\n\n!198.51.100.7   # one host out\n198.51.100.0/24;\nkey xfer.key\n")
	bad := filepath.Join(dir, "bad.acl")
	writeFile(t, bad, "192.0.2.0/24\n# fine so far\n10.0.0/8\n")
	empty := filepath.Join(dir, "empty.acl")
	writeFile(t, empty, "# nobody yet\n")

	tests := []struct {
		name    string
		input   string
		line    int    // of the error
		wantErr string // "" = must succeed
	}{
		{"defaults", `recursionacl`, 0, ""},
		{"zones", `recursionacl example.org 10.0.0.0/8`, 0, ""},
		{"full", `recursionacl {
			acl trusted 192.0.2.0/24 2001:db8::/32
			acl office !192.0.2.99 trusted
			allow office localhost
			allow 10.0.0.0/8
			allow-file ` + good + `
			authoritative example.org 192.0.2.0/24
			deny drop
			reload 100ms
		}`, 0, ""},
		{"acl defined after use", "recursionacl {\nallow later\nacl later 10.0.0.0/8\n}", 0, ""},
		{"empty file next to allow", "recursionacl {\nallow 10.0.0.0/8\nallow-file " + empty + "\n}", 0, ""},
		{"named.conf paste", "recursionacl {\nallow 10.0.0.0/8; !10.1.0.0/16; any;\n}", 0, ""},

		{"bad element", "recursionacl {\n allow 10.0.0.0/8 10.0.0/8\n}", 2, `plugin/recursionacl: Testfile:2 - Error during parsing: parsing allow element "10.0.0/8": not a CIDR prefix; write IPv4 prefixes with all four octets, e.g. 10.0.0.0/8`},
		{"unknown acl", "recursionacl {\n\n allow trusted\n}", 3, `plugin/recursionacl: Testfile:3 - Error during parsing: parsing allow element "trusted": not an IP address, CIDR prefix, keyword`},
		{"bad acl element", "recursionacl {\n acl a 10.0.0.0/8\n acl b a 300.0.0.1\n allow b\n}", 3, `plugin/recursionacl: Testfile:3 - Error during parsing: parsing acl b element "300.0.0.1": not a valid IP address`},
		{"acl loop", "recursionacl {\n acl a b\n acl b a\n allow a\n}", 2, `plugin/recursionacl: Testfile:2 - Error during parsing: parsing acl a element "b": in acl "b": element "a": in acl "a": element "b": acl loop: b -> a -> b`},
		{"acl self loop", "recursionacl {\n acl a 10.0.0.0/8 a\n allow 10.0.0.1\n}", 2, `acl loop`},
		{"acl twice", "recursionacl {\n acl a 10.0.0.0/8\n acl A 10.0.0.0/8\n}", 3, `plugin/recursionacl: Testfile:3 - Error during parsing: acl "A" is defined twice`},
		{"acl builtin name", "recursionacl {\n acl any 10.0.0.0/8\n}", 2, `built-in element`},
		{"acl without elements", "recursionacl {\n acl a\n}", 2, `acl needs a name and at least one element`},
		{"empty allow", "recursionacl {\n allow\n}", 2, `plugin/recursionacl: Testfile:2 - Error during parsing: allow needs at least one element`},
		{"dangling bang", "recursionacl {\n allow 10.0.0.0/8 !\n}", 2, `'!' must be followed by an element`},
		{"file error names its line", "recursionacl {\n allow-file " + bad + "\n}", 2, `plugin/recursionacl: Testfile:2 - Error during parsing: parsing allow-file ` + bad + ` line 3: element "10.0.0/8": not a CIDR prefix`},
		{"missing file", "recursionacl {\n allow-file " + filepath.Join(dir, "nope") + "\n}", 2, `plugin/recursionacl: Testfile:2 - Error during parsing: reading allow-file: open`},
		{"only an empty file", "recursionacl {\n allow-file " + empty + "\n}", 2, `plugin/recursionacl: Testfile:2 - Error during parsing: the allow-file lines hold no element; write none to allow nobody`},
		{"allow-file two paths", "recursionacl {\n allow-file a b\n}", 2, `allow-file needs exactly one path`},
		{"deny", "recursionacl {\n deny ignore\n}", 2, `plugin/recursionacl: Testfile:2 - Error during parsing: deny takes refuse or drop`},
		{"authoritative empty", "recursionacl {\n authoritative\n}", 2, `authoritative needs at least one zone`},
		{"reload", "recursionacl {\n reload soon\n}", 2, `reload "soon": want a duration`},
		{"reload negative", "recursionacl {\n reload -1s\n}", 2, `reload "-1s": want a duration`},
		{"reload too often", "recursionacl {\n reload 1ms\n}", 2, `reload "1ms": want a duration of at least 10ms`},
		{"unknown option", "recursionacl {\n allow-recursion 10.0.0.0/8\n}", 2, `plugin/recursionacl: Testfile:2 - Error during parsing: unknown option "allow-recursion"`},
		{"twice", "recursionacl\nrecursionacl", 2, `only one recursionacl per server block`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := caddy.NewTestController("dns", tc.input)
			err := setup(c)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("no error, want %q", tc.wantErr)
			case tc.wantErr != "":
				testkit.CheckParseErrorAt(t, err, pluginName, tc.line, tc.wantErr)
			}
			if err == nil && len(dnsserver.GetConfig(c).Plugin) != 1 {
				t.Errorf("setup added %d plugins, want 1", len(dnsserver.GetConfig(c).Plugin))
			}
		})
	}
}

func TestParse(t *testing.T) {
	c := caddy.NewTestController("dns", `recursionacl example.org {
		allow 10.0.0.0/8
		authoritative example.net 10.0.0.0/8
		deny drop
		reload 0
	}`)
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.zones) != 1 || cfg.zones[0] != "example.org." {
		t.Errorf("zones = %v", cfg.zones)
	}
	if want := "example.net. 10.in-addr.arpa."; strings.Join(cfg.auth, " ") != want {
		t.Errorf("authoritative = %v, want %s", cfg.auth, want)
	}
	if !cfg.drop || cfg.reload != 0 {
		t.Errorf("drop = %v, reload = %v", cfg.drop, cfg.reload)
	}

	c = caddy.NewTestController("dns", `recursionacl`)
	if cfg, err = parse(c); err != nil {
		t.Fatal(err)
	}
	if cfg.drop || cfg.reload != 5*time.Second || cfg.auth != nil {
		t.Errorf("defaults: drop = %v, reload = %v, authoritative = %v", cfg.drop, cfg.reload, cfg.auth)
	}
}

// TestDefaultAllow: without allow lines the list is BIND's default,
// localhost and localnets.
func TestDefaultAllow(t *testing.T) {
	cfg, err := parse(caddy.NewTestController("dns", `recursionacl`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.env.Interfaces = func() ([]netip.Prefix, error) {
		return []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("192.168.10.5/24")}, nil
	}
	list, err := cfg.compile()
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"127.0.0.9": true, "192.168.10.77": true, "::ffff:192.168.10.77": true, "192.168.11.1": false, "::1": false} {
		if got := list.Match(netip.MustParseAddr(addr), ""); got != want {
			t.Errorf("%s: allowed = %v, want %v", addr, got, want)
		}
	}
}

// TestAllowOrder: allow and allow-file lines form one list in the order
// written, so first-match works across them.
func TestAllowOrder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "allow.acl")
	writeFile(t, file, "!10.1.0.0/16\n10.0.0.0/8\n")
	cfg, err := parse(caddy.NewTestController("dns", "recursionacl {\n allow !10.1.2.3 10.1.2.0/24\n allow-file "+file+"\n allow 10.1.0.0/16\n}"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := cfg.compile()
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"10.1.2.3": false, "10.1.2.4": true, "10.1.3.1": false, "10.2.0.1": true, "11.0.0.1": false} {
		if got := list.Match(netip.MustParseAddr(addr), ""); got != want {
			t.Errorf("%s: allowed = %v, want %v", addr, got, want)
		}
	}
	if list.Len() != 5 {
		t.Errorf("Len() = %d, want 5", list.Len())
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadAllowFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allow.acl")
	writeFile(t, path, "# header\r\n10.0.0.0/8\r\n\t! 10.1.0.0/16 \t# tabs\r\n\r\nkey  xfer.key;\n192.0.2.1")
	f, err := readAllowFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.tokens, "|"); got != "10.0.0.0/8|!|10.1.0.0/16|key|xfer.key;|192.0.2.1" {
		t.Errorf("tokens %q", got)
	}
	var lines []int
	for _, l := range f.lines {
		lines = append(lines, l.n)
	}
	if fmt.Sprint(lines) != "[2 3 5 6]" {
		t.Errorf("lines %v, want [2 3 5 6]", lines)
	}
	if n := f.lineOf(`key xfer.key`); n != 5 {
		t.Errorf("lineOf(key xfer.key) = %d, want 5", n)
	}
}

// TestSetupInert: parsing opens no denial log, starts no writer and no
// allow-file watcher.
func TestSetupInert(t *testing.T) {
	acl := filepath.Join(t.TempDir(), "trusted.acl")
	writeFile(t, acl, "192.0.2.0/24\n")
	testkit.SetupInert(t, setup, "recursionacl {\n allow-file "+acl+"\n reload 10ms\n log file security.log\n}")
}
