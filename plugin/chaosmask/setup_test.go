package chaosmask

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
)

func TestRegistersForCH(t *testing.T) {
	if _, ok := dnsserver.EnableChaos[pluginName]; !ok {
		t.Fatal("chaosmask is not in dnsserver.EnableChaos: CoreDNS would refuse CH queries before chaosmask sees them")
	}
}

func TestSetup(t *testing.T) {
	c := caddy.NewTestController("dns", "chaosmask")
	if err := setup(c); err != nil {
		t.Fatalf("setup: %v", err)
	}
	plugins := dnsserver.GetConfig(c).Plugin
	if len(plugins) != 1 {
		t.Fatalf("want 1 plugin added, got %d", len(plugins))
	}
	// Each chain gets its own handler: a block with several keys builds one
	// chain per key.
	a, b := plugins[0](nil).(*Chaosmask), plugins[0](nil).(*Chaosmask)
	if a == b {
		t.Error("two chains share one handler")
	}
	if a.othersOpen == nil || a.othersOpen() {
		t.Error("a block without chaos or forward must not pass non-IN queries on")
	}
}

func TestParseDefaults(t *testing.T) {
	for _, input := range []string{"chaosmask", "chaosmask {\n}", "chaosmask {\n# nothing\n}"} {
		cm, err := parse(caddy.NewTestController("dns", input))
		if err != nil {
			t.Fatalf("%q: %v", input, err)
		}
		for i, rep := range cm.replies[:nameOther] {
			if rep.action != actNone || rep.txt != nil {
				t.Errorf("%q: %s defaults to %v, want none", input, nameLabels[i], rep.action)
			}
		}
		if other := cm.replies[nameOther].action; other != actRefuse {
			t.Errorf("%q: other defaults to %v, want refuse", input, other)
		}
		if !cm.hideNSID {
			t.Errorf("%q: nsid defaults to pass, want hide", input)
		}
		if cm.reveal != nil {
			t.Errorf("%q: reveal is set by default", input)
		}
	}
}

func TestParse(t *testing.T) {
	cm, err := parse(caddy.NewTestController("dns", `chaosmask {
		version "ns1 at example"
		hostname refuse
		id NONE
		authors alice "bob b"
		other none
		nsid pass
		reveal 127.0.0.5 !10.0.0.1 10.0.0.0/8 key admin.example.
	}`))
	if err != nil {
		t.Fatal(err)
	}
	want := [nameOther]reply{
		{actText, [][]string{{"ns1 at example"}}},
		{actText, [][]string{{"ns1 at example"}}},
		{actRefuse, nil},
		{actNone, nil},
		{actText, [][]string{{"alice"}, {"bob b"}}},
	}
	for i := range want {
		if got := cm.replies[i]; got.action != want[i].action || !equalTxt(got.txt, want[i].txt) {
			t.Errorf("%s: got %v %q, want %v %q", nameLabels[i], got.action, got.txt, want[i].action, want[i].txt)
		}
	}
	if other := cm.replies[nameOther].action; other != actNone || cm.hideNSID {
		t.Errorf("other %v, hideNSID %v; want none, false", other, cm.hideNSID)
	}
	for _, tc := range []struct {
		addr, key string
		want      bool
	}{
		{"127.0.0.5", "", true},
		{"127.0.0.6", "", false},
		{"10.0.0.1", "", false},
		{"10.9.9.9", "", true},
		{"192.0.2.1", "admin.example.", true},
		{"192.0.2.1", "other.example.", false},
	} {
		if got := cm.reveal.Match(netip.MustParseAddr(tc.addr), tc.key); got != tc.want {
			t.Errorf("reveal %s key %q: got %v, want %v", tc.addr, tc.key, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("x", maxText+1)
	for _, tc := range []struct {
		input string
		line  int
		want  string
	}{
		{"chaosmask version", 1, "unexpected argument \"version\""},
		{"chaosmask\nchaosmask", 2, "only be used once"},
		{"chaosmask {\nversion\n}", 2, "version needs TEXT, none or refuse"},
		{"chaosmask {\nversion my server\n}", 2, `quote text with spaces: version "my server"`},
		{"chaosmask {\nhostname a b\n}", 2, "hostname takes one TEXT"},
		{"chaosmask {\nid a b\n}", 2, "id takes one TEXT"},
		{"chaosmask {\nauthors alice none\n}", 2, "none cannot be mixed with TEXT"},
		{"chaosmask {\nauthors refuse bob\n}", 2, "refuse cannot be mixed with TEXT"},
		{"chaosmask {\nversion " + long + "\n}", 2, "at most 4096"},
		{"chaosmask {\nother\n}", 2, "other takes one argument"},
		{"chaosmask {\nother text\n}", 2, "want none or refuse"},
		{"chaosmask {\nnsid\n}", 2, "nsid takes one argument"},
		{"chaosmask {\nnsid strip\n}", 2, `nsid "strip": want hide or pass`},
		{"chaosmask {\nreveal\n}", 2, "reveal needs at least one"},
		{"chaosmask {\nreveal 10.0.0/8\n}", 2, `parsing reveal element "10.0.0/8": not a CIDR prefix; write IPv4 prefixes with all four octets, e.g. 10.0.0.0/8`},
		{"chaosmask {\nreveal admins\n}", 2, `parsing reveal element "admins"`},
		{"chaosmask {\nversion none\nversion refuse\n}", 3, "version is given twice"},
		{"chaosmask {\nhide-version\n}", 2, `unknown option "hide-version"`},
	} {
		_, err := parse(caddy.NewTestController("dns", tc.input))
		if len(tc.input) > 60 {
			tc.input = tc.input[:60] + "..."
		}
		t.Run(tc.input, func(t *testing.T) { testkit.CheckParseErrorAt(t, err, "", tc.line, tc.want) })
	}
}

func TestSetupErrorNamesPluginAndLine(t *testing.T) {
	err := setup(caddy.NewTestController("dns", "chaosmask {\n    version none\n    nsid maybe\n}"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"plugin/chaosmask", "Testfile:3", `nsid "maybe"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestSplitText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{""}},
		{"short", "corebind", []string{"corebind"}},
		{"exactly 255", strings.Repeat("a", 255), []string{strings.Repeat("a", 255)}},
		{"600", strings.Repeat("b", 600), []string{strings.Repeat("b", 255), strings.Repeat("b", 255), strings.Repeat("b", 90)}},
		// 254 ASCII bytes then a 2-byte rune: the rune moves whole to the next string.
		{"utf-8 boundary", strings.Repeat("c", 254) + "é" + "d", []string{strings.Repeat("c", 254), "éd"}},
		// Invalid UTF-8 is cut at 255 bytes exactly.
		{"invalid utf-8", strings.Repeat("\xff", 256), []string{strings.Repeat("\xff", 255), "\xff"}},
		{"backslash escaped for miekg", `a\b`, []string{`a\\b`}},
	} {
		if got := splitText(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func equalTxt(a, b [][]string) bool { return slices.EqualFunc(a, b, slices.Equal[[]string]) }

// TestSetupInert: parsing starts nothing.
func TestSetupInert(t *testing.T) {
	testkit.SetupInert(t, setup, "chaosmask {\n version none\n}")
}
