package rfc2317

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestNames checks the name arithmetic for every prefix length rfc2317
// takes, in every label style: the child zone, the first and last CNAME,
// how many there are, and that classify finds exactly those names.
func TestNames(t *testing.T) {
	tests := []struct {
		prefix            string
		slash, dash, rng  string
		firstOwn, lastOwn int // last octets of the first and last address
		count             int
		before, after     int // addresses just outside the block (-1: none in the /24)
	}{
		{"192.0.2.128/25", "128/25", "128-25", "128-255", 128, 255, 128, 127, -1},
		{"192.0.2.192/26", "192/26", "192-26", "192-255", 192, 255, 64, 191, -1},
		{"192.0.2.32/27", "32/27", "32-27", "32-63", 32, 63, 32, 31, 64},
		{"192.0.2.16/28", "16/28", "16-28", "16-31", 16, 31, 16, 15, 32},
		{"192.0.2.0/29", "0/29", "0-29", "0-7", 0, 7, 8, -1, 8},
		{"192.0.2.4/30", "4/30", "4-30", "4-7", 4, 7, 4, 3, 8},
		{"192.0.2.6/31", "6/31", "6-31", "6-7", 6, 7, 2, 5, 8},
		{"192.0.2.3/32", "3/32", "3-32", "3-3", 3, 3, 1, 2, 4},
	}
	for _, tc := range tests {
		for _, st := range []struct {
			style Style
			label string
		}{{Slash, tc.slash}, {Dash, tc.dash}, {Range, tc.rng}} {
			t.Run(tc.prefix+"/"+st.style.String(), func(t *testing.T) {
				b := newBlock(netip.MustParsePrefix(tc.prefix))
				if got := b.defaultLabel(st.style); got != st.label {
					t.Fatalf("label = %q, want %q", got, st.label)
				}
				if err := checkLabel(st.label); err != nil {
					t.Fatalf("default label rejected: %v", err)
				}
				b.ns = []string{"ns1.example.net."}
				b.finish(b.defaultLabel(st.style))
				zone := st.label + ".2.0.192.in-addr.arpa."
				if b.rev24 != "2.0.192.in-addr.arpa." || b.zone != zone {
					t.Fatalf("rev24 %q zone %q, want 2.0.192.in-addr.arpa. and %q", b.rev24, b.zone, zone)
				}
				if len(b.owners) != tc.count || len(b.targets) != tc.count {
					t.Fatalf("%d owners, %d targets, want %d", len(b.owners), len(b.targets), tc.count)
				}
				wantFirst := fmt.Sprintf("%d.2.0.192.in-addr.arpa.", tc.firstOwn)
				wantLast := fmt.Sprintf("%d.2.0.192.in-addr.arpa.", tc.lastOwn)
				if b.owners[0] != wantFirst || b.owners[tc.count-1] != wantLast {
					t.Errorf("owners %s … %s, want %s … %s", b.owners[0], b.owners[tc.count-1], wantFirst, wantLast)
				}
				if want := fmt.Sprintf("%d.%s", tc.lastOwn, zone); b.targets[tc.count-1] != want {
					t.Errorf("last target %s, want %s", b.targets[tc.count-1], want)
				}

				tab := newTable([]*block{b})
				for i, owner := range b.owners {
					k, kb, octet := tab.classify(owner)
					if k != kindCNAME || kb != b || int(octet) != tc.firstOwn+i || b.target(octet) != b.targets[i] {
						t.Fatalf("classify(%s) = %v %d", owner, k, octet)
					}
				}
				for _, o := range []int{tc.before, tc.after} {
					if o < 0 {
						continue
					}
					if k, _, _ := tab.classify(fmt.Sprintf("%d.2.0.192.in-addr.arpa.", o)); k != kindNone {
						t.Errorf("address .%d outside the block classified %v", o, k)
					}
				}
				for _, name := range []string{zone, "1." + zone, "a.b." + zone} {
					if k, kb, _ := tab.classify(name); k != kindCut || kb != b {
						t.Errorf("classify(%s) = %v, want a referral", name, k)
					}
				}
				for _, name := range []string{"2.0.192.in-addr.arpa.", "0.192.in-addr.arpa.", "in-addr.arpa.", "arpa."} {
					if k, _, _ := tab.classify(name); k != kindENT {
						t.Errorf("classify(%s) = %v, want an empty non-terminal", name, k)
					}
				}
			})
		}
	}
}

func TestClassifyOddNames(t *testing.T) {
	b := newBlock(netip.MustParsePrefix("192.0.2.0/29"))
	b.finish("0/29")
	c := newBlock(netip.MustParsePrefix("192.0.2.8/29"))
	c.child = true
	c.finish("8-15")
	tab := newTable([]*block{b, c})
	tests := []struct {
		name string
		want kind
	}{
		{"03.2.0.192.in-addr.arpa.", kindNone},   // not the name of address .3
		{"3.2.0.192.in-addr.arpa.", kindCNAME},   //
		{"9.2.0.192.in-addr.arpa.", kindChild},   // child side
		{"8-15.2.0.192.in-addr.arpa.", kindNone}, // the child zone itself is file's
		{"1.8-15.2.0.192.in-addr.arpa.", kindNone},
		{"3\\.2.0.192.in-addr.arpa.", kindNone},      // one label "3.2" under 0.192
		{"a\\.0/29.2.0.192.in-addr.arpa.", kindNone}, // one label "a.0/29"
		{"x.3.2.0.192.in-addr.arpa.", kindNone},      // below a CNAME: the zone's NXDOMAIN
		{"256.2.0.192.in-addr.arpa.", kindNone},      //
		{"3.2.0.193.in-addr.arpa.", kindNone},        //
		{"3.2.0.192.ip6.arpa.", kindNone},            //
		{"example.org.", kindNone},                   //
		{".", kindNone},                              //
		{"1.0/29.2.0.192.in-addr.arpa.", kindCut},    //
		{"1.0-29.2.0.192.in-addr.arpa.", kindNone},   // another style's label
		{"192.in-addr.arpa.", kindENT},               //
		{"1.1.0.192.in-addr.arpa.", kindNone},        //
	}
	for _, tc := range tests {
		if got, _, _ := tab.classify(tc.name); got != tc.want {
			t.Errorf("classify(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseOctet(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "7": 7, "255": 255, "256": -1, "00": -1, "07": -1, "": -1, "1a": -1, "-1": -1, "1000": -1} {
		got, ok := parseOctet(s)
		if (want < 0) == ok || (ok && int(got) != want) {
			t.Errorf("parseOctet(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
}

// TestUnderArpa: the pre-check lets every name the table may hold through,
// whatever its case, and turns away other zones.
func TestUnderArpa(t *testing.T) {
	for name, want := range map[string]bool{
		"arpa.":                      true,
		"in-addr.arpa.":              true,
		"5.2.0.192.IN-ADDR.ARPA.":    true,
		"0-25.2.0.192.in-addr.arpa.": true,
		`x\.arpa.`:                   true, // escaped: classify decides
		"www.example.org.":           false,
		"notarpa.":                   false,
		"arpa.example.":              false,
		".":                          false,
	} {
		if got := underArpa(name); got != want {
			t.Errorf("underArpa(%q) = %v, want %v", name, got, want)
		}
	}
}
