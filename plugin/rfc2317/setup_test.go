package rfc2317

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
)

func testController(input string, keys ...string) *caddy.Controller {
	c := caddy.NewTestController("dns", input)
	if len(keys) == 0 {
		keys = []string{"2.0.192.in-addr.arpa."}
	}
	c.ServerBlockKeys = keys
	return c
}

func TestParse(t *testing.T) {
	cfg, err := parse(testController(`rfc2317 {
		delegate 192.0.2.0/29 NS1.Example.NET ns2.example.org. ns1.example.net.
		delegate 192.0.2.64/26 ns.customer.example.
		label 192.0.2.64/26 64-127
		addresses 192.0.2.0/29 1-6
		style dash
		ttl 300
		child 192.0.2.8/30
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ttlSet || cfg.ttl != 300 {
		t.Errorf("ttl = %d, %v", cfg.ttl, cfg.ttlSet)
	}
	if !slices.Equal(cfg.zones, []string{"2.0.192.in-addr.arpa."}) {
		t.Errorf("zones = %v", cfg.zones)
	}
	want := []struct {
		prefix, zone string
		child        bool
		first, last  uint8
		ns           []string
	}{
		{"192.0.2.0/29", "0-29.2.0.192.in-addr.arpa.", false, 1, 6, []string{"ns1.example.net.", "ns2.example.org."}},
		{"192.0.2.64/26", "64-127.2.0.192.in-addr.arpa.", false, 64, 127, []string{"ns.customer.example."}},
		{"192.0.2.8/30", "8-30.2.0.192.in-addr.arpa.", true, 8, 11, nil},
	}
	if len(cfg.blocks) != len(want) {
		t.Fatalf("%d blocks, want %d", len(cfg.blocks), len(want))
	}
	for i, w := range want {
		b := cfg.blocks[i]
		if b.prefix != netip.MustParsePrefix(w.prefix) || b.zone != w.zone || b.child != w.child || b.first != w.first || b.last != w.last || !slices.Equal(b.ns, w.ns) {
			t.Errorf("block %d = %s %s child=%v %d-%d %v; want %+v", i, b.prefix, b.zone, b.child, b.first, b.last, b.ns, w)
		}
	}

	// Defaults: slash style, every address, TTL from the zone.
	cfg, err = parse(testController("rfc2317 {\n delegate 192.0.2.0/29 ns1.example.net.\n child 192.0.2.16/28 Customer-B\n}"))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.blocks[0]; b.zone != "0/29.2.0.192.in-addr.arpa." || b.first != 0 || b.last != 7 || cfg.ttlSet {
		t.Errorf("defaults: %s %d-%d ttlSet=%v", b.zone, b.first, b.last, cfg.ttlSet)
	}
	if b := cfg.blocks[1]; b.zone != "customer-b.2.0.192.in-addr.arpa." {
		t.Errorf("child label: zone %s", b.zone)
	}

	// ZONES given as arguments, as names or as a CIDR.
	for _, args := range []string{"0.192.in-addr.arpa", "192.0.0.0/16"} {
		cfg, err = parse(testController("rfc2317 "+args+" {\n delegate 192.0.2.0/29 ns1.example.net.\n}", "."))
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if !slices.Equal(cfg.zones, []string{"0.192.in-addr.arpa."}) {
			t.Errorf("%s: zones = %v", args, cfg.zones)
		}
	}
}

// TestParseErrors checks that every bad line fails naming its line and what
// to do instead.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		input string
		keys  []string
		line  string
		want  string
	}{
		{"rfc2317", nil, ":1 ", "at least one delegate line"},
		{"rfc2317 {\n}", nil, ":2 ", "at least one delegate line"},
		{"rfc2317 {\n delegate 192.0.2.0/29\n}", nil, ":2 ", "at least one name server"},
		{"rfc2317 {\n delegate 192.0.2.0/33 ns.example.net.\n}", nil, ":2 ", `"192.0.2.0/33" is not a block`},
		{"rfc2317 {\n delegate 192.0.2.0 ns.example.net.\n}", nil, ":2 ", `"192.0.2.0" is not a block`},
		{"rfc2317 {\n delegate 192.0.2.0/24 ns.example.net.\n}", nil, ":2 ", "ordinary delegation"},
		{"rfc2317 {\n\n delegate 192.0.0.0/16 ns.example.net.\n}", nil, ":3 ", "is a /16: delegation at an octet boundary is ordinary delegation"},
		{"rfc2317 {\n delegate 2001:db8::/56 ns.example.net.\n}", nil, ":2 ", "IPv6 needs no classless delegation"},
		{"rfc2317 {\n delegate 192.0.2.3/29 ns.example.net.\n}", nil, ":2 ", "the block holding it is 192.0.2.0/29"},
		{"rfc2317 {\n delegate 192.0.3.0/29 ns.example.net.\n}", nil, ":2 ", "delegate 192.0.3.0/29: 0.3.0.192.in-addr.arpa. is outside this server block's zones (2.0.192.in-addr.arpa.)"},
		{"rfc2317 example.org {\n delegate 192.0.2.0/29 ns.example.net.\n}", nil, ":2 ", "0.2.0.192.in-addr.arpa. is outside this server block's zones (example.org.)"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n delegate 192.0.2.0/28 ns.example.net.\n}", nil, ":3 ", "overlaps delegate 192.0.2.0/29 (line 2)"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n child 192.0.2.4/30\n}", nil, ":3 ", "child 192.0.2.4/30 overlaps delegate 192.0.2.0/29 (line 2)"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns..example.net.\n}", nil, ":2 ", `name server "ns..example.net." is not a valid domain name`},
		{"rfc2317 {\n delegate 192.0.2.0/29 192.0.2.53\n}", nil, ":2 ", `name server "192.0.2.53" is an address`},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns_1.example.net.\n}", nil, ":2 ", `label "ns_1" may hold only letters, digits and '-'`},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns/1.example.net.\n}", nil, ":2 ", "not a valid host name"},
		{"rfc2317 {\n delegate 192.0.2.0/29 -ns.example.net.\n}", nil, ":2 ", "starts or ends with '-'"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n label 192.0.2.0/29 a.b\n}", nil, ":3 ", `label "a.b" holds a '.'`},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n label 192.0.2.0/29 a@b\n}", nil, ":3 ", `holds '@', which cannot be part of a DNS label`},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n label 192.0.2.0/29 a\\b\n}", nil, ":3 ", "cannot be part of a DNS label"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n label 192.0.2.0/29 " + strings.Repeat("x", 64) + "\n}", nil, ":3 ", "at most 63"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n label 192.0.2.0/29 5\n}", nil, ":3 ", `label "5" is the name of an address`},
		{"rfc2317 {\n child 192.0.2.0/29 ex%mple\n}", nil, ":2 ", "cannot be part of a DNS label"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n label 192.0.2.8/29 8-15\n}", nil, ":3 ", "label 192.0.2.8/29: no delegate or child line has this block"},
		{"rfc2317 {\n child 192.0.2.0/29 a\n label 192.0.2.0/29 b\n}", nil, ":3 ", `already has the label "a"`},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n delegate 192.0.2.8/29 ns.example.net.\n label 192.0.2.0/29 x\n label 192.0.2.8/29 x\n}", nil, ":3 ", "is also the child zone of 192.0.2.0/29 (line 2)"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n addresses 192.0.2.0/29 1-9\n}", nil, ":3 ", "reaches outside the block, whose last octets are 0-7"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n addresses 192.0.2.0/29 6-1\n}", nil, ":3 ", "runs backwards; write 1-6"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n addresses 192.0.2.0/29 1\n}", nil, ":3 ", "not a range of last octets"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n addresses 192.0.2.16/29 1-6\n}", nil, ":3 ", "no delegate or child line has this block"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n style octal\n}", nil, ":3 ", `style "octal" is unknown`},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n style dash\n style range\n}", nil, ":4 ", "style is given twice"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n ttl -1\n}", nil, ":3 ", "not a number of seconds"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n ttl 2147483648\n}", nil, ":3 ", "not a number of seconds"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n ttl 60\n ttl 60\n}", nil, ":4 ", "ttl is given twice"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n glue ns.example.net. 192.0.2.1\n}", nil, ":3 ", `unknown property "glue"`},
		{"rfc2317 {\n child\n}", nil, ":2 ", "child needs a block"},
		{"rfc2317 {\n child 192.0.2.0/29 a b\n}", nil, ":2 ", "child needs a block"},
		{"rfc2317 {\n child 192.0.2.0/29\n}", []string{"0/29.2.0.192.in-addr.arpa."}, ":2 ", "child 192.0.2.0/29: 0.2.0.192.in-addr.arpa. is outside this server block's zones (0/29.2.0.192.in-addr.arpa.), so its queries never reach rfc2317; add 192.0.2.0/29 (or 2.0.192.in-addr.arpa) to the server block's keys"},
		{"rfc2317 {\n\n child 192.0.2.0/29\n addresses 192.0.2.0/29 1-7\n}", []string{"1.2.0.192.in-addr.arpa.", "2.2.0.192.in-addr.arpa.", "3.2.0.192.in-addr.arpa.", "4.2.0.192.in-addr.arpa.", "5.2.0.192.in-addr.arpa.", "6.2.0.192.in-addr.arpa."}, ":3 ", "7.2.0.192.in-addr.arpa. is outside"},
		{"rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n}", []string{"0.2.0.192.in-addr.arpa.", "1.2.0.192.in-addr.arpa.", "2.2.0.192.in-addr.arpa.", "3.2.0.192.in-addr.arpa.", "4.2.0.192.in-addr.arpa.", "5.2.0.192.in-addr.arpa.", "6.2.0.192.in-addr.arpa.", "7.2.0.192.in-addr.arpa."}, ":2 ", "0/29.2.0.192.in-addr.arpa. is outside"},
		{"rfc2317 {\n child 192.0.2.0/29\n}\nrfc2317 {\n child 192.0.2.8/29\n}", nil, ":4 ", "appears twice in this server block"},
	}
	for _, tc := range tests {
		_, err := parse(testController(tc.input, tc.keys...))
		if err == nil {
			t.Errorf("%q: no error, want %q", tc.input, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Testfile"+tc.line) {
			t.Errorf("%q:\n got  %v\n want line%s and %q", tc.input, err, tc.line, tc.want)
		}
	}
}

// TestSetupInert: parsing starts nothing; neighbouring zones are read at
// startup.
func TestSetupInert(t *testing.T) {
	testkit.SetupInert(t, func(c *caddy.Controller) error {
		c.ServerBlockKeys = []string{"2.0.192.in-addr.arpa."}
		return setup(c)
	}, "rfc2317 {\n delegate 192.0.2.0/29 ns.example.net.\n}")
}
