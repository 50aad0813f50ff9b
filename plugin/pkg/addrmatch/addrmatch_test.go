package addrmatch

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func testEnv() *Env {
	return &Env{Interfaces: func() ([]netip.Prefix, error) {
		return []netip.Prefix{
			netip.MustParsePrefix("127.0.0.1/8"),
			netip.MustParsePrefix("192.168.10.5/24"),
			netip.MustParsePrefix("::1/128"),
			netip.MustParsePrefix("2001:db8:1::5/64"),
		}, nil
	}}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		defs    map[string]string
		list    string
		allow   []string
		deny    []string
		keyed   map[string]string // addr -> key that must allow it
		entries int
	}{
		{name: "first match wins", list: "!10.1.0.0/16 10.0.0.0/8",
			allow: []string{"10.2.3.4", "10.255.0.1"}, deny: []string{"10.1.2.3", "11.0.0.1", "::1"}, entries: 2},
		{name: "order matters", list: "10.0.0.0/8 !10.1.0.0/16",
			allow: []string{"10.1.2.3", "10.2.3.4"}, deny: []string{"11.0.0.1"}},
		{name: "same prefix twice keeps the first", list: "192.0.2.0/24 !192.0.2.0/24", allow: []string{"192.0.2.1"}},
		{name: "host address", list: "192.0.2.9", allow: []string{"192.0.2.9"}, deny: []string{"192.0.2.10"}},
		{name: "any", list: "any", allow: []string{"1.2.3.4", "2001:db8::1", "::1"}, entries: 1},
		{name: "none stops evaluation", list: "none 10.0.0.0/8", deny: []string{"10.0.0.1", "::1"}},
		{name: "not none is any", list: "!none", allow: []string{"10.0.0.1", "2001:db8::1"}},
		{name: "negated any", list: "!any 10.0.0.0/8", deny: []string{"10.0.0.1"}},
		{name: "ipv6", list: "2001:db8::/32 !::/0", allow: []string{"2001:db8:ffff::1"}, deny: []string{"2001:db9::1", "10.0.0.1"}},
		{name: "mapped client matches ipv4", list: "10.0.0.0/8", allow: []string{"::ffff:10.1.2.3"}, deny: []string{"::ffff:11.1.2.3"}},
		{name: "mapped prefix is ipv4", list: "::ffff:10.0.0.0/104", allow: []string{"10.1.1.1"}},
		{name: "localhost", list: "localhost", allow: []string{"127.0.0.1", "192.168.10.5", "::1", "2001:db8:1::5"},
			deny: []string{"127.0.0.2", "192.168.10.6", "2001:db8:1::6"}},
		{name: "localnets", list: "localnets", allow: []string{"127.0.0.2", "192.168.10.200", "2001:db8:1::6"},
			deny: []string{"192.168.11.1", "2001:db8:2::1"}},
		{name: "named acl", defs: map[string]string{"trusted": "10.0.0.0/8 192.0.2.0/24"}, list: "trusted",
			allow: []string{"10.9.9.9", "192.0.2.1"}, deny: []string{"198.51.100.1"}, entries: 2},
		{name: "double negation never allows", defs: map[string]string{"bad": "!10.1.0.0/16"}, list: "!bad any",
			allow: []string{"10.1.2.3", "10.2.0.1"}},
		{name: "negative inner match falls through", defs: map[string]string{"inner": "!10.1.0.0/16 10.0.0.0/8"}, list: "inner 10.1.2.3",
			allow: []string{"10.1.2.3", "10.2.0.1"}, deny: []string{"10.1.2.4"}},
		{name: "negated acl", defs: map[string]string{"blocked": "10.66.0.0/16"}, list: "!blocked 10.0.0.0/8",
			allow: []string{"10.1.0.1"}, deny: []string{"10.66.0.1"}},
		{name: "nested acls", defs: map[string]string{"a": "b 10.0.0.0/8", "b": "!10.5.0.0/16 192.0.2.0/24"}, list: "a",
			allow: []string{"10.1.1.1", "192.0.2.4", "10.5.0.1"}, deny: []string{"198.51.100.1"}},
		{name: "glued and separate bang", list: "! 10.1.0.0/16 !10.2.0.0/16 10.0.0.0/8", allow: []string{"10.3.0.1"}, deny: []string{"10.1.0.1", "10.2.0.1"}},
		{name: "named.conf semicolons", list: "10.0.0.0/8; !10.1.0.0/16;", allow: []string{"10.1.0.1"}},
		{name: "tsig key", list: "key Xfer.Key !10.0.0.0/8 any", allow: []string{"192.0.2.1"}, deny: []string{"10.0.0.1"},
			keyed: map[string]string{"10.0.0.1": "xfer.key."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv()
			for name, def := range tc.defs {
				if err := env.Define(name, strings.Fields(def)); err != nil {
					t.Fatal(err)
				}
			}
			l, err := env.Compile(strings.Fields(tc.list))
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.allow {
				if !l.Match(netip.MustParseAddr(a), "") {
					t.Errorf("%s denied, want allowed", a)
				}
			}
			for _, a := range tc.deny {
				if l.Match(netip.MustParseAddr(a), "") {
					t.Errorf("%s allowed, want denied", a)
				}
			}
			for a, k := range tc.keyed {
				if !l.Match(netip.MustParseAddr(a), k) {
					t.Errorf("%s with key %s denied, want allowed", a, k)
				}
			}
			if tc.entries != 0 && l.Len() != tc.entries {
				t.Errorf("Len() = %d, want %d", l.Len(), tc.entries)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		defs map[string]string
		list string
		want string
	}{
		{list: "10.0.0/8", want: `element "10.0.0/8": not a CIDR prefix; write IPv4 prefixes with all four octets, e.g. 10.0.0.0/8`},
		{list: "10.1.2.3/8", want: `element "10.1.2.3/8": host bits set; the network is 10.0.0.0/8`},
		{list: "300.1.1.1", want: `element "300.1.1.1": not a valid IP address`},
		{list: "2001:db8::/129", want: `element "2001:db8::/129": not a CIDR prefix`},
		{list: "trusted", want: `element "trusted": not an IP address, CIDR prefix, keyword`},
		{list: "", want: "empty address match list"},
		{list: "!", want: `'!' must be followed by an element`},
		{list: "key", want: "key needs a TSIG key name"},
		{defs: map[string]string{"a": "b", "b": "a"}, list: "a", want: "acl loop: a -> b -> a"},
		{defs: map[string]string{"a": "10.0.0.0/8 zz"}, list: "a", want: `element "a": in acl "a": element "zz"`},
	}
	for _, tc := range tests {
		env := testEnv()
		for name, def := range tc.defs {
			if err := env.Define(name, strings.Fields(def)); err != nil {
				t.Fatal(err)
			}
		}
		_, err := env.Compile(strings.Fields(tc.list))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%q) = %v, want error containing %q", tc.list, err, tc.want)
		}
	}
}

func TestDefineErrors(t *testing.T) {
	env := testEnv()
	if err := env.Define("any", []string{"10.0.0.0/8"}); err == nil {
		t.Error("defining a built-in name succeeded")
	}
	if err := env.Define("empty", nil); err == nil {
		t.Error("defining an empty acl succeeded")
	}
	if err := env.Define("x", []string{"10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Define("X", []string{"10.0.0.0/8"}); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("duplicate definition: %v", err)
	}
}

// bigList is n distinct /24 prefixes (and a /48 per 10) in scrambled order.
func bigList(n int) []string {
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		j := (i * 7919) % n
		if i%10 == 0 {
			out = append(out, fmt.Sprintf("2001:db8:%x::/48", j&0xffff))
			continue
		}
		out = append(out, fmt.Sprintf("%d.%d.%d.0/24", 11+j>>16, (j>>8)&255, j&255))
	}
	return out
}

func TestLargeList(t *testing.T) {
	l, err := (&Env{}).Compile(bigList(100000))
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 100000 {
		t.Errorf("Len() = %d", l.Len())
	}
	if !l.Match(netip.MustParseAddr("11.0.1.77"), "") || l.Match(netip.MustParseAddr("200.0.0.1"), "") {
		t.Error("wrong match in large list")
	}
}

func BenchmarkMatch100k(b *testing.B) {
	l, err := (&Env{}).Compile(bigList(100000))
	if err != nil {
		b.Fatal(err)
	}
	hit, miss, v6 := netip.MustParseAddr("11.0.1.77"), netip.MustParseAddr("200.0.0.1"), netip.MustParseAddr("2001:db8:a::1")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		switch i % 3 {
		case 0:
			l.Match(hit, "")
		case 1:
			l.Match(miss, "")
		default:
			l.Match(v6, "")
		}
	}
}

func BenchmarkCompile100k(b *testing.B) {
	list := bigList(100000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (&Env{}).Compile(list); err != nil {
			b.Fatal(err)
		}
	}
}

func TestUsesKeys(t *testing.T) {
	env := testEnv()
	if err := env.Define("signed", []string{"key", "xfer.key", "10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	for list, want := range map[string]bool{
		"10.0.0.0/8 localhost": false,
		"!key a.key any":       true,
		"192.0.2.0/24 signed":  true,
	} {
		l, err := env.Compile(strings.Fields(list))
		if err != nil {
			t.Fatal(err)
		}
		if l.UsesKeys() != want {
			t.Errorf("%q: UsesKeys() = %v, want %v", list, l.UsesKeys(), want)
		}
	}
}
