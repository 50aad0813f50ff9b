package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

// The DNS tree of TestRFC2317Tree, every server on port 53 in a private
// network namespace:
//
//	127.0.0.10  root (BIND): delegates 2.0.192.in-addr.arpa to ns.isp.test
//	127.0.0.11  parent (corebind, ns.isp.test): file + rfc2317 delegate 192.0.2.0/29
//	127.0.0.12  child (corebind or BIND, ns.customer.test): the child zone
//	127.0.0.13  resolver (BIND, recursion, root hints → 127.0.0.10)
//	127.0.0.14  the parent zone's secondary (BIND), by zone transfer from 127.0.0.11
const (
	rfc2317Root      = "127.0.0.10"
	rfc2317Parent    = "127.0.0.11"
	rfc2317Child     = "127.0.0.12"
	rfc2317Resolver  = "127.0.0.13"
	rfc2317Secondary = "127.0.0.14"
)

const rfc2317RootZone = `$TTL 3600
.                     IN SOA a.root.test. hostmaster.root.test. 1 3600 600 86400 300
.                     IN NS  a.root.test.
a.root.test.          IN A   127.0.0.10
ns.isp.test.          IN A   127.0.0.11
ns.customer.test.     IN A   127.0.0.12
2.0.192.in-addr.arpa. IN NS  ns.isp.test.
`

const rfc2317Hints = `.             3600000 IN NS a.root.test.
a.root.test.  3600000 IN A  127.0.0.10
`

// The parent zone still has a PTR for 192.0.2.3 from before the delegation:
// rfc2317 reports it at startup and never serves it.
const rfc2317ParentZone = `$TTL 86400
@    IN SOA ns.isp.test. hostmaster.isp.test. 2026010101 7200 3600 1209600 600
@    IN NS  ns.isp.test.
3    IN PTR stale.isp.test.
10   IN PTR host10.isp.test.
`

const rfc2317ChildZone = `$TTL 3600
@   IN SOA ns.customer.test. hostmaster.customer.test. 1 7200 3600 1209600 300
@   IN NS  ns.customer.test.
1   IN PTR gw.customer.test.
3   IN PTR www.customer.test.
`

// TestRFC2317Tree resolves 192.0.2.3 through a BIND resolver, the root, the
// corebind parent and the child (corebind with a slash label, then BIND with
// a range label), checks the parent's AXFR with named-checkzone and a BIND
// secondary of the parent zone.
func TestRFC2317Tree(t *testing.T) {
	testkit.Require(t, "named", "named-checkzone", "dig")
	for _, tc := range []struct {
		name  string
		style string // rfc2317 style on the parent
		label string // the child zone label it gives
		child func(t *testing.T, ns *testkit.Netns, zone string)
	}{
		{"corebind child", "slash", "0/29", startCorebindChild},
		{"bind child", "range", "0-7", startBindChild},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := testkit.NewNetns(t, rfc2317Root, rfc2317Parent, rfc2317Child, rfc2317Resolver, rfc2317Secondary)
			zone := tc.label + ".2.0.192.in-addr.arpa."
			testkit.StartNamed(t, testkit.NamedOptions{
				Netns: ns, Listen: rfc2317Root,
				Conf:  `zone "." { type primary; file "root.db"; };`,
				Files: map[string]string{"root.db": rfc2317RootZone},
			})
			parent := testkit.StartCoreDNS(t, fmt.Sprintf(`2.0.192.in-addr.arpa {
	bind %s
	file parent.db
	rfc2317 {
		delegate 192.0.2.0/29 ns.customer.test.
		style %s
	}
	transfer {
		to %s
	}
}
`, rfc2317Parent, tc.style, rfc2317Secondary), testkit.CoreDNSOptions{
				Netns: ns, Wait: rfc2317Parent + ":53",
				Files: map[string]string{"parent.db": rfc2317ParentZone},
			})
			tc.child(t, ns, zone)
			testkit.StartNamed(t, testkit.NamedOptions{
				Netns: ns, Listen: rfc2317Resolver,
				// testkit's options{} already says "recursion no;" and BIND
				// refuses a second one there; a view may override it.
				Conf: `view "resolver" {
	match-clients { any; };
	recursion yes;
	allow-recursion { any; };
	allow-query-cache { any; };
	zone "." { type hint; file "root.hints"; };
};`,
				Files: map[string]string{"root.hints": rfc2317Hints},
			})

			t.Log(testkit.Dig(t, ns, "@"+rfc2317Resolver, "-x", "192.0.2.3"))
			// The resolver follows the CNAME into the child zone.
			out, code := testkit.Dig(t, ns, "@"+rfc2317Resolver, "-x", "192.0.2.3", "+short")
			if want := "3." + zone + "\nwww.customer.test.\n"; code != 0 || out != want {
				t.Errorf("dig -x 192.0.2.3 @resolver: exit %d\n%s\nwant\n%s", code, out, want)
			}
			out, code = testkit.Dig(t, ns, "@"+rfc2317Resolver, "-x", "192.0.2.10", "+short")
			if code != 0 || out != "host10.isp.test.\n" {
				t.Errorf("dig -x 192.0.2.10 @resolver (the parent's own PTR): exit %d\n%s", code, out)
			}

			// The parent: an authoritative CNAME with the child's NS.
			out, _ = testkit.Dig(t, ns, "@"+rfc2317Parent, "-x", "192.0.2.3", "+norec")
			for _, want := range []string{"flags: qr aa;", "CNAME\t3." + zone, "NS\tns.customer.test."} {
				if !strings.Contains(out, want) {
					t.Errorf("parent: no %q in\n%s", want, out)
				}
			}
			if strings.Contains(out, "stale.isp.test") {
				t.Errorf("parent served the PTR beside the CNAME:\n%s", out)
			}
			if !parent.WaitOutput(`conflict: zone 2.0.192.in-addr.arpa. has "3.2.0.192.in-addr.arpa.`, 10*time.Second) {
				t.Errorf("the parent did not report the conflicting PTR:\n%s", parent.Output())
			}

			// The parent's AXFR is a valid zone with the delegation in it.
			axfr, code := testkit.Dig(t, ns, "@"+rfc2317Parent, "-b", rfc2317Secondary, "AXFR", "2.0.192.in-addr.arpa", "+nocmd", "+nostats")
			if code != 0 || !strings.Contains(axfr, "3.2.0.192.in-addr.arpa.\t600\tIN\tCNAME\t3."+zone) || !strings.Contains(axfr, zone+" 600\tIN\tNS\tns.customer.test.") {
				t.Errorf("AXFR: exit %d\n%s", code, axfr)
			}
			path := filepath.Join(t.TempDir(), "axfr.db")
			if err := os.WriteFile(path, []byte(axfr), 0o644); err != nil {
				t.Fatal(err)
			}
			// -i local: out-of-zone name servers are not looked up.
			out = ns.Run(t, "named-checkzone", "-i", "local", "2.0.192.in-addr.arpa", path)
			if !strings.Contains(out, "loaded serial 2026010101") || !strings.HasSuffix(strings.TrimSpace(out), "OK") {
				t.Errorf("named-checkzone on the AXFR:\n%s", out)
			}

			// A BIND secondary of the parent zone carries the delegation.
			sec := testkit.StartNamed(t, testkit.NamedOptions{
				Netns: ns, Listen: rfc2317Secondary,
				Conf: fmt.Sprintf(`zone "2.0.192.in-addr.arpa" { type secondary; primaries { %s; }; transfer-source %s; file "secondary.db"; masterfile-format text; };`,
					rfc2317Parent, rfc2317Secondary),
			})
			want := []string{"status: NOERROR", "flags: qr aa;", "5.2.0.192.in-addr.arpa.\t600\tIN\tCNAME\t5." + zone, zone + " 600\tIN\tNS\tns.customer.test."}
			containsAll := func(s string) bool {
				for _, w := range want {
					if !strings.Contains(s, w) {
						return false
					}
				}
				return true
			}
			out = ""
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !containsAll(out); time.Sleep(200 * time.Millisecond) {
				out, _ = testkit.Dig(t, ns, "@"+rfc2317Secondary, "-x", "192.0.2.5", "+norec")
			}
			if !containsAll(out) {
				t.Fatalf("the secondary does not answer the CNAME with the child's NS:\n%s\n%s", out, sec.Output())
			}
			out = ns.Run(t, "named-checkzone", "-i", "local", "2.0.192.in-addr.arpa", filepath.Join(sec.Dir, "secondary.db"))
			if !strings.HasSuffix(strings.TrimSpace(out), "OK") {
				t.Errorf("named-checkzone on the secondary's copy:\n%s", out)
			}
		})
	}
}

// startCorebindChild serves the child zone from corebind, as the README
// shows: keyed by its name (here 0/29.2.0.192.in-addr.arpa, a slash label)
// and by the block (one zone per address), with rfc2317's child side
// answering the original names.
func startCorebindChild(t *testing.T, ns *testkit.Netns, zone string) {
	testkit.StartCoreDNS(t, fmt.Sprintf(`%s 192.0.2.0/29 {
	bind %s
	file child.db %s
	rfc2317 {
		child 192.0.2.0/29
	}
}
`, zone, rfc2317Child, zone), testkit.CoreDNSOptions{
		Netns: ns, Wait: rfc2317Child + ":53",
		Files: map[string]string{"child.db": rfc2317ChildZone},
	})
	// The customer's own clients ask the customer's server for the
	// original name: CNAME and PTR in one authoritative answer.
	out, _ := testkit.Dig(t, ns, "@"+rfc2317Child, "-x", "192.0.2.3", "+norec")
	for _, want := range []string{"flags: qr aa;", "ANSWER: 2,", "3.2.0.192.in-addr.arpa.\t300\tIN\tCNAME\t3." + zone, "PTR\twww.customer.test."} {
		if !strings.Contains(out, want) {
			t.Errorf("child: no %q in\n%s", want, out)
		}
	}
}

// startBindChild serves the child zone from BIND 9.
func startBindChild(t *testing.T, ns *testkit.Netns, zone string) {
	testkit.StartNamed(t, testkit.NamedOptions{
		Netns: ns, Listen: rfc2317Child,
		Conf:  fmt.Sprintf(`zone "%s" { type primary; file "child.db"; };`, zone),
		Files: map[string]string{"child.db": rfc2317ChildZone},
	})
}

// TestRFC2317Reload: the parent follows its zone file across file's reloads
// (TTL from the new SOA minimum, the conflict gone) and a Corefile reload
// (SIGUSR1) brings a new delegation while the old instance stops.
func TestRFC2317Reload(t *testing.T) {
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	corefile := func(extra string) string {
		return fmt.Sprintf(`2.0.192.in-addr.arpa:%d {
	bind 127.0.0.1
	file parent.db {
		reload 1s
	}
	rfc2317 {
		delegate 192.0.2.0/29 ns.customer.test.
		%s
	}
}
`, port, extra)
	}
	c := testkit.StartCoreDNS(t, corefile(""), testkit.CoreDNSOptions{
		Wait:  addr,
		Files: map[string]string{"parent.db": rfc2317ParentZone},
	})
	if !c.WaitOutput(`conflict: zone 2.0.192.in-addr.arpa. has "3.2.0.192.in-addr.arpa.`, 10*time.Second) {
		t.Errorf("no conflict reported at startup:\n%s", c.Output())
	}
	cnameTTL := func(name string) uint32 {
		m := testkit.Query(t, "udp", "127.0.0.2", addr, name, dns.TypePTR)
		if len(m.Answer) == 1 {
			if cn, ok := m.Answer[0].(*dns.CNAME); ok {
				return cn.Hdr.Ttl
			}
		}
		return 0
	}
	if got := cnameTTL("3.2.0.192.in-addr.arpa."); got != 600 {
		t.Fatalf("CNAME TTL %d, want the SOA minimum 600", got)
	}

	// New serial, new minimum, the stale PTR removed.
	zone := strings.NewReplacer("2026010101", "2026010102", "1209600 600", "1209600 900", "3    IN PTR stale.isp.test.\n", "").Replace(rfc2317ParentZone)
	testkit.WriteFile(t, filepath.Join(c.Dir, "parent.db"), zone)
	var got uint32
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got = cnameTTL("3.2.0.192.in-addr.arpa."); got == 900 {
			break
		}
	}
	if got != 900 {
		t.Fatalf("CNAME TTL %d 30s after the zone changed, want 900\n%s", got, c.Output())
	}

	testkit.WriteFile(t, c.Corefile, corefile("delegate 192.0.2.8/29 ns.customer.test."))
	c.Reload()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got = cnameTTL("9.2.0.192.in-addr.arpa."); got != 0 {
			break
		}
	}
	if got != 900 {
		t.Fatalf("no CNAME for the new delegation after the reload (TTL %d)\n%s", got, c.Output())
	}
	if got := cnameTTL("3.2.0.192.in-addr.arpa."); got != 900 {
		t.Errorf("the first delegation after the reload: TTL %d", got)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("exit: %v\n%s", err, c.Output())
	}
}

// TestRFC2317StartupError: the binary refuses a bad line, naming the
// plugin, the file and line, and the fix.
func TestRFC2317StartupError(t *testing.T) {
	c := testkit.StartCoreDNS(t, "2.0.192.in-addr.arpa:0 {\n\tfile parent.db\n\trfc2317 {\n\t\tdelegate 192.0.2.0/24 ns.customer.test.\n\t}\n}\n",
		testkit.CoreDNSOptions{Files: map[string]string{"parent.db": rfc2317ParentZone}})
	if err := c.Wait(20 * time.Second); err == nil {
		t.Fatalf("started with a /24 delegation:\n%s", c.Output())
	}
	want := "plugin/rfc2317: " + c.Corefile + ":4 - Error during parsing: delegate 192.0.2.0/24 is a /24: delegation at an octet boundary is ordinary delegation"
	if !strings.Contains(c.Output(), want) {
		t.Errorf("output:\n%s\nwant %q", c.Output(), want)
	}
}

// TestRFC2317MatchesBIND: a BIND parent with the $GENERATE zone and a
// corebind parent with the same zone and a delegate line answer every query
// type at a delegated address, below and at the child zone, over UDP and
// TCP, RD on and off, alike: rcode, flags, every section, TTLs and EDE; so
// do both when they serve the child zone too. For CNAME and ANY, which ask
// for the CNAME itself, both give the parent zone's own NS in the authority
// section; for the other types the child zone's (or its answer).
func TestRFC2317MatchesBIND(t *testing.T) {
	const child = "0/29.2.0.192.in-addr.arpa"
	for _, hostChild := range []bool{false, true} {
		t.Run(fmt.Sprintf("child zone here %v", hostChild), func(t *testing.T) {
			bindConf := `zone "2.0.192.in-addr.arpa" { type primary; file "rev.db"; };`
			childFile := ""
			if hostChild {
				bindConf += `zone "` + child + `" { type primary; file "child.db"; };`
				childFile = "\tfile child.db " + child + "\n"
			}
			named := testkit.StartNamed(t, testkit.NamedOptions{
				Conf:  bindConf,
				Files: map[string]string{"rev.db": parityRev + parityRevGenerate, "child.db": rfc2317ChildZone},
			})
			port := testkit.FreePort(t)
			addr := testkit.HostPort("127.0.0.1", port)
			testkit.StartCoreDNS(t, fmt.Sprintf(`2.0.192.in-addr.arpa:%d {
	bind 127.0.0.1
	rfc2317 {
		delegate 192.0.2.0/29 ns.customer.test.
	}
	file rev.db
%s}
`, port, childFile), testkit.CoreDNSOptions{Wait: addr, Files: map[string]string{"rev.db": parityRev, "child.db": rfc2317ChildZone}})
			compareRFC2317(t, addr, named.Addr, hostChild)
		})
	}
}

func compareRFC2317(t *testing.T, addr, bindAddr string, hostChild bool) {
	// Only names rfc2317 answers: the file plugin's own answers differ from
	// BIND's in places (negative TTLs, ANY), see testdata/parity.
	names := []string{"3.2.0.192.in-addr.arpa", "0.2.0.192.IN-ADDR.arpa", "5.0/29.2.0.192.in-addr.arpa", "0/29.2.0.192.in-addr.arpa"}
	if hostChild {
		// The child zone's own names are the file plugin's (above).
		names = names[:2]
	}
	qtypes := []uint16{dns.TypePTR, dns.TypeCNAME, dns.TypeANY, dns.TypeA, dns.TypeTXT, dns.TypeNS, dns.TypeSOA}
	for _, name := range names {
		for _, qtype := range qtypes {
			for _, tcp := range []bool{false, true} {
				for _, norec := range []bool{false, true} {
					// No cookie: BIND would answer with a server cookie,
					// which CoreDNS does not implement (differences.txt).
					q := parityQuery{id: name, from: "127.0.0.2", tcp: tcp, norec: norec, nocookie: true, name: name, qtype: qtype}
					ours, bind := parityExchange(t, q, addr, 0), parityExchange(t, q, bindAddr, 0)
					what := fmt.Sprintf("%s %s tcp=%v rd=%v", name, dns.TypeToString[qtype], tcp, !norec)
					if hostChild && !norec && qtype != dns.TypeCNAME && qtype != dns.TypeANY {
						// BIND here has recursion no: it never follows the
						// CNAME into its other zone. corebind, with no
						// recursionacl to tell it otherwise, follows it
						// for RD=1, as BIND does for clients that may
						// recurse (rfc2317 README).
						if ours == nil || len(ours.Answer) < 1 || ours.Answer[0].Header().Rrtype != dns.TypeCNAME || (qtype == dns.TypePTR && strings.HasPrefix(name, "3.") && len(ours.Answer) != 2) {
							t.Errorf("%s: corebind did not follow the CNAME into the child zone: %v", what, ours)
						}
						continue
					}
					of, bf := parityFields(ours), parityFields(bind)
					if !slices.Equal(of, bf) {
						t.Errorf("%s:\n corebind %v\n BIND     %v", what, of, bf)
					}
					if d := ttlDiff(ours, bind); d != "" {
						t.Errorf("%s: TTLs (corebind/BIND) %s", what, d)
					}
					if strings.HasPrefix(name, "3.") && (qtype == dns.TypeCNAME || qtype == dns.TypeANY) {
						if ours == nil || len(ours.Ns) != 1 || ours.Ns[0].Header().Name != "2.0.192.in-addr.arpa." {
							t.Errorf("%s: authority %v, want the parent's NS", what, ours)
						}
					}
				}
			}
		}
	}
}
