package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

// The parent zone both servers are authoritative for: sub.example.org is
// delegated to a BIND child on 127.0.0.1 (the glue), on a port of its own.
var delegParentZone = testkit.Zone(`ns1      IN A   127.0.0.1
www      IN A   192.0.2.80
alias    IN CNAME host.sub
sub      IN NS  ns.sub
ns.sub   IN A   127.0.0.1
dept     IN NS  ns.sub
six      IN NS  ns.six
ns.six   IN AAAA ::1
`)

const (
	delegChildZone = `$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 300
@        IN NS  ns
ns       IN A   127.0.0.1
host     IN A   192.0.2.81
back     IN CNAME www.example.org.
`
	// dept.example.org, served by sub's name server: its NS name is
	// outside its own cut.
	delegDeptZone = `$TTL 300
@        IN SOA ns.sub.example.org. hostmaster 1 3600 600 86400 300
@        IN NS  ns.sub.example.org.
host     IN A   192.0.2.82
`
	// six.example.org, whose only name server has an IPv6 address.
	delegSixZone = `$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 300
@        IN NS  ns
ns       IN AAAA ::1
host     IN A   192.0.2.86
`
	delegRootHints = `.            3600000 IN NS a.root.test.
a.root.test. 3600000 IN A  127.0.0.1
`
	delegAllowed = "127.0.0.2"
	delegDenied  = "127.0.0.3"
)

// TestDelegationsBIND asks corebind (file + delegations) and BIND 9 (the
// same zone, allow-recursion) the same questions from an allowed and a
// denied client, with RD on and off, over UDP and TCP, and compares the
// replies: rcode, AA, RA and the answer section always; the authority and
// additional sections of referrals and negative answers.
func TestDelegationsBIND(t *testing.T) {
	testkit.Require(t, "named")
	child := testkit.StartNamed(t, testkit.NamedOptions{
		Listen6: "::1",
		Conf: `zone "sub.example.org" { type primary; file "sub.db"; };
zone "dept.example.org" { type primary; file "dept.db"; };
zone "six.example.org" { type primary; file "six.db"; };`,
		Files: map[string]string{"sub.db": delegChildZone, "dept.db": delegDeptZone, "six.db": delegSixZone},
	})
	// BIND's port option is also the port it sends queries to: the child's.
	// The hints point at the child too, so nothing ever leaves loopback.
	ref := delegBIND(t, child.Port, "")
	cbAddr, cbProc := delegCorebind(t, fmt.Sprintf(`
	errors
	recursionacl {
		allow %s
	}
	cache {
		disable success sub.example.org
		disable denial sub.example.org
	}
	delegations {
		port %d
	}
	file example.org.db
`, delegAllowed, child.Port))

	delegCompare(t, ref.Addr, cbAddr, cbProc, []delegCase{
		{"allowed resolves", delegAllowed, true, "host.sub.example.org.", dns.TypeA, "192.0.2.81"},
		{"allowed NXDOMAIN below the cut", delegAllowed, true, "nope.sub.example.org.", dns.TypeA, "NXDOMAIN"},
		{"allowed CNAME into the cut", delegAllowed, true, "alias.example.org.", dns.TypeA, "192.0.2.81"},
		{"allowed CNAME back into the parent", delegAllowed, true, "back.sub.example.org.", dns.TypeA, "192.0.2.80"},
		{"allowed name server outside the cut", delegAllowed, true, "host.dept.example.org.", dns.TypeA, "192.0.2.82"},
		{"allowed name server on IPv6", delegAllowed, true, "host.six.example.org.", dns.TypeA, "192.0.2.86"},
		{"allowed own data", delegAllowed, true, "www.example.org.", dns.TypeA, "192.0.2.80"},
		{"allowed RD=0 gets the referral", delegAllowed, false, "other.sub.example.org.", dns.TypeA, "referral"},
		// cache ignores RD: the README's `disable` lines keep the referral
		// above out of it, or this would get it.
		{"allowed RD=1 after RD=0", delegAllowed, true, "other.sub.example.org.", dns.TypeA, "NXDOMAIN"},
		{"denied gets the referral", delegDenied, true, "host.sub.example.org.", dns.TypeA, "referral"},
		{"denied RD=0 gets the referral", delegDenied, false, "host.sub.example.org.", dns.TypeA, "referral"},
		{"denied CNAME into the cut", delegDenied, true, "alias.example.org.", dns.TypeA, "cname"},
		{"allowed NS at the cut", delegAllowed, true, "sub.example.org.", dns.TypeNS, "ns.sub.example.org."},
		// BIND answers RD=0 below its own delegation with the referral even
		// when the answer is in its cache.
		{"allowed RD=0 after RD=1", delegAllowed, false, "host.sub.example.org.", dns.TypeA, "referral"},
	})
}

// TestDelegationsForwardOnly is BIND's `forward only` (global forwarders,
// and no empty forwarders list in the parent zone): names below the
// delegation go to the forwarder, not to the delegated servers. The
// forwarder here serves its own sub.example.org (host is 192.0.2.99 there),
// so the answer tells which way it went.
func TestDelegationsForwardOnly(t *testing.T) {
	testkit.Require(t, "named")
	child := testkit.StartNamed(t, testkit.NamedOptions{
		Conf:  `zone "sub.example.org" { type primary; file "sub.db"; };`,
		Files: map[string]string{"sub.db": delegChildZone},
	})
	fwd := testkit.StartNamed(t, testkit.NamedOptions{
		Conf:  `zone "sub.example.org" { type primary; file "sub.db"; };`,
		Files: map[string]string{"sub.db": strings.Replace(delegChildZone, "192.0.2.81", "192.0.2.99", 1)},
	})
	ref := delegBIND(t, child.Port, fmt.Sprintf(`
	forwarders { 127.0.0.1 port %d; };
	forward only;`, fwd.Port))
	cbAddr, cbProc := delegCorebind(t, fmt.Sprintf(`
	recursionacl {
		allow %s
	}
	cache
	delegations {
		forward
	}
	file example.org.db
	forward . %s
`, delegAllowed, fwd.Addr))
	delegCompare(t, ref.Addr, cbAddr, cbProc, []delegCase{
		{"allowed goes to the forwarder", delegAllowed, true, "host.sub.example.org.", dns.TypeA, "192.0.2.99"},
		{"allowed CNAME then the forwarder", delegAllowed, true, "alias.example.org.", dns.TypeA, "192.0.2.99"},
		{"denied gets the referral", delegDenied, true, "host.sub.example.org.", dns.TypeA, "referral"},
		{"allowed RD=0 gets the referral", delegAllowed, false, "nope.sub.example.org.", dns.TypeA, "referral"},
	})
}

// delegBIND starts the reference: BIND authoritative for example.org
// (delegParentZone), recursing for delegAllowed only, with its root hints
// and the port it queries set to childPort, and more options after those.
func delegBIND(t *testing.T, childPort int, more string) *testkit.Named {
	t.Helper()
	return testkit.StartNamed(t, testkit.NamedOptions{
		Options: fmt.Sprintf(`port %d;
	recursion yes;
	allow-recursion { %s; };`, childPort, delegAllowed) + more,
		Conf: `zone "." { type hint; file "root.hints"; };
zone "example.org" { type primary; file "example.org.db"; };`,
		Files: map[string]string{"example.org.db": delegParentZone, "root.hints": delegRootHints},
	})
}

// delegCorebind starts corebind on 127.0.0.1 with one server block for
// example.org holding plugins, and the zone file example.org.db
// (delegParentZone) in its directory.
func delegCorebind(t *testing.T, plugins string) (string, *testkit.CoreDNS) {
	t.Helper()
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	proc := testkit.StartCoreDNS(t, fmt.Sprintf("example.org:%d {\n\tbind 127.0.0.1%s}\n", port, plugins), testkit.CoreDNSOptions{
		Wait:  addr,
		Files: map[string]string{"example.org.db": delegParentZone},
	})
	return addr, proc
}

// delegCase is one query sent to BIND and to corebind.
type delegCase struct {
	name   string
	from   string // client source address
	rd     bool
	qname  string
	qtype  uint16
	expect string // what corebind must give, beyond matching BIND
}

// delegCompare sends each case over UDP and TCP to BIND (ref) and corebind
// (cbAddr): the replies must match, and corebind's must say tc.expect.
func delegCompare(t *testing.T, ref, cbAddr string, cbProc *testkit.CoreDNS, cases []delegCase) {
	t.Helper()
	for _, tc := range cases {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tc.name+"/"+network, func(t *testing.T) {
				q := new(dns.Msg)
				q.SetQuestion(tc.qname, tc.qtype)
				q.RecursionDesired = tc.rd
				want := testkit.Exchange(t, network, tc.from, ref, q)
				got := testkit.Exchange(t, network, tc.from, cbAddr, q)
				if d := delegDiff(want, got); d != "" {
					t.Errorf("corebind differs from BIND: %s\nBIND:\n%s\ncorebind:\n%s\n%s", d, want, got, cbProc.Output())
				}
				if s := delegSummary(got); !strings.Contains(s, tc.expect) {
					t.Errorf("corebind: %s; want %s", s, tc.expect)
				}
			})
		}
	}
}

// delegSummary says in a few words what a reply is.
func delegSummary(m *dns.Msg) string {
	switch {
	case m.Rcode != dns.RcodeSuccess:
		return dns.RcodeToString[m.Rcode]
	case len(m.Answer) == 0 && len(m.Ns) > 0 && m.Ns[0].Header().Rrtype == dns.TypeNS:
		return "referral"
	}
	return strings.Join(delegRRs(m.Answer), " ")
}

// delegRRs is rrs as sorted text without TTLs (the cache counts them down).
func delegRRs(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeOPT {
			continue
		}
		c := dns.Copy(rr)
		c.Header().Ttl = 0
		out = append(out, strings.ToLower(strings.ReplaceAll(c.String(), "\t", " ")))
	}
	slices.Sort(out)
	return out
}

// delegDiff compares what a client of both servers would see.
func delegDiff(want, got *dns.Msg) string {
	var d []string
	if want.Rcode != got.Rcode {
		d = append(d, fmt.Sprintf("rcode %s, BIND %s", dns.RcodeToString[got.Rcode], dns.RcodeToString[want.Rcode]))
	}
	if want.Authoritative != got.Authoritative {
		d = append(d, fmt.Sprintf("AA=%v, BIND AA=%v", got.Authoritative, want.Authoritative))
	}
	if want.RecursionAvailable != got.RecursionAvailable {
		d = append(d, fmt.Sprintf("RA=%v, BIND RA=%v", got.RecursionAvailable, want.RecursionAvailable))
	}
	if !slices.Equal(delegRRs(want.Answer), delegRRs(got.Answer)) {
		d = append(d, "answer")
	}
	// BIND's authority section on a positive answer (minimal-responses no)
	// is its own choice; referrals and negative answers must match.
	if len(want.Answer) == 0 || want.Rcode != dns.RcodeSuccess || !want.Authoritative && len(got.Answer) == 0 {
		if !slices.Equal(delegRRs(want.Ns), delegRRs(got.Ns)) {
			d = append(d, "authority")
		}
		if !slices.Equal(delegRRs(want.Extra), delegRRs(got.Extra)) {
			d = append(d, "additional")
		}
	}
	return strings.Join(d, "; ")
}
