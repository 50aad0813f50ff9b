package stubzones

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// The tree the handler tests resolve through: the stub zone example.org on
// two servers, sub.example.org delegated to a third, deep.sub.example.org
// to a fourth; all on one port, as name servers all are on port 53.
const (
	treeParent = `$TTL 300
@          IN SOA ns1 hostmaster 7 60 10 600 30
@          IN NS  ns1
@          IN NS  ns2
ns1        IN A   127.0.0.31
ns2        IN A   127.0.0.32
www        IN A   192.0.2.80
alias      IN CNAME www
deepalias  IN CNAME host.deep.sub
far        IN CNAME www.outside.test.
sub        IN NS  ns.sub
ns.sub     IN A   127.0.0.33
`
	treeSub = `$TTL 300
@          IN SOA ns hostmaster 1 60 10 600 30
@          IN NS  ns
ns         IN A   127.0.0.33
www        IN A   192.0.2.81
deep       IN NS  ns.deep
ns.deep    IN A   127.0.0.34
`
	treeDeep = `$TTL 300
@          IN SOA ns hostmaster 1 60 10 600 30
@          IN NS  ns
ns         IN A   127.0.0.34
host       IN A   192.0.2.82
`
)

type tree struct {
	port    int
	servers map[string]*testServer // by IP
	s       *Stubzones
	clock   *fakeClock
}

// startTree starts the tree and a Stubzones for example.org loaded from
// 127.0.0.31, with next answering "next" for names it is handed.
func startTree(t *testing.T, maxDepth int) *tree {
	t.Helper()
	ips := []string{"127.0.0.31", "127.0.0.32", "127.0.0.33", "127.0.0.34"}
	tr := &tree{port: commonPort(t, ips...), servers: map[string]*testServer{}, clock: newFakeClock()}
	parent := authServer(t, map[string]string{"example.org.": treeParent})
	for ip, h := range map[string]dns.HandlerFunc{
		"127.0.0.31": parent,
		"127.0.0.32": parent,
		"127.0.0.33": authServer(t, map[string]string{"sub.example.org.": treeSub}),
		"127.0.0.34": authServer(t, map[string]string{"deep.sub.example.org.": treeDeep}),
	} {
		tr.servers[ip] = startServer(t, ip, tr.port, h)
	}
	o := testOptions(fmt.Sprintf("127.0.0.31:%d", tr.port))
	o.port = uint16(tr.port)
	o.maxDepth = maxDepth
	tr.s = newTestStubzones(tr.clock, map[string]*options{zoneName: o})
	tr.s.Next = nextHandler()
	tr.load(t)
	return tr
}

func (tr *tree) load(t *testing.T) {
	t.Helper()
	var backoff time.Duration
	var expired bool
	tr.s.refresh(context.Background(), tr.s.zones[zoneName], &backoff, &expired)
	if tr.s.zones[zoneName].data.Load() == nil {
		t.Fatal("stub zone did not load")
	}
}

// nextHandler answers TXT "next" to whatever reaches it.
func nextHandler() plugin.Handler {
	return plugin.HandlerFunc(func(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = rrs(r.Question[0].Name + " 0 IN TXT next")
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	})
}

func serve(t *testing.T, s *Stubzones, m *dns.Msg) *dns.Msg {
	t.Helper()
	rec := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: "127.0.0.2"})
	if _, err := s.ServeDNS(context.Background(), rec, m); err != nil {
		t.Logf("ServeDNS: %v", err)
	}
	if rec.Msg == nil {
		t.Fatalf("no reply to %s", m.Question[0].String())
	}
	return rec.Msg
}

func query(name string, qtype uint16, rd bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = rd
	return m
}

func TestServeDNS(t *testing.T) {
	tr := startTree(t, defaultMaxDepth)
	soa := "example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 7 60 10 600 30" // the file plugin keeps the TTL
	tests := []struct {
		name   string
		q      *dns.Msg
		rcode  int
		answer []string
		ns     []string
		extra  []string
	}{
		{name: "answer", q: query("www.example.org.", dns.TypeA, true),
			answer: []string{"www.example.org. 300 IN A 192.0.2.80"}},
		{name: "case kept in the question, answered", q: query("WWW.Example.ORG.", dns.TypeA, true),
			answer: []string{"www.example.org. 300 IN A 192.0.2.80"}},
		{name: "CNAME inside the zone", q: query("alias.example.org.", dns.TypeA, true),
			answer: []string{"alias.example.org. 300 IN CNAME www.example.org.", "www.example.org. 300 IN A 192.0.2.80"}},
		{name: "one delegation down", q: query("www.sub.example.org.", dns.TypeA, true),
			answer: []string{"www.sub.example.org. 300 IN A 192.0.2.81"}},
		{name: "two delegations down", q: query("host.deep.sub.example.org.", dns.TypeA, true),
			answer: []string{"host.deep.sub.example.org. 300 IN A 192.0.2.82"}},
		{name: "CNAME into a delegated zone", q: query("deepalias.example.org.", dns.TypeA, true),
			answer: []string{"deepalias.example.org. 300 IN CNAME host.deep.sub.example.org.", "host.deep.sub.example.org. 300 IN A 192.0.2.82"}},
		{name: "NXDOMAIN", q: query("nope.example.org.", dns.TypeA, true),
			rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "NODATA", q: query("www.example.org.", dns.TypeAAAA, true),
			ns: []string{soa}},
		{name: "RD=0: referral from the stub data", q: query("www.example.org.", dns.TypeA, false),
			ns:    []string{"example.org. 300 IN NS ns1.example.org.", "example.org. 300 IN NS ns2.example.org."},
			extra: []string{"ns1.example.org. 300 IN A 127.0.0.31", "ns2.example.org. 300 IN A 127.0.0.32"}},
		{name: "AXFR", q: query("example.org.", dns.TypeAXFR, false), rcode: dns.RcodeNotAuth},
		{name: "IXFR", q: query("example.org.", dns.TypeIXFR, false), rcode: dns.RcodeNotAuth},
		{name: "outside the stub zones: next plugin", q: query("www.example.net.", dns.TypeA, true),
			answer: []string{"www.example.net. 0 IN TXT \"next\""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := serve(t, tr.s, tc.q)
			if r.Rcode != tc.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
			if tc.q.Question[0].Name != "www.example.net." && (r.Authoritative || !r.RecursionAvailable) {
				t.Errorf("AA=%v RA=%v, want AA=0 RA=1", r.Authoritative, r.RecursionAvailable)
			}
			if r.Question[0].Name != tc.q.Question[0].Name {
				t.Errorf("question %s, want %s", r.Question[0].Name, tc.q.Question[0].Name)
			}
			for _, sec := range []struct {
				name      string
				got, want []string
			}{{"answer", rrStrings(r.Answer), tc.answer}, {"authority", rrStrings(r.Ns), tc.ns}, {"additional", rrStrings(r.Extra), tc.extra}} {
				if !slices.Equal(sec.got, sec.want) {
					t.Errorf("%s %q, want %q", sec.name, sec.got, sec.want)
				}
			}
		})
	}
}

func TestServeDNSMaxDepth(t *testing.T) {
	tr := startTree(t, 1)
	if r := serve(t, tr.s, query("www.sub.example.org.", dns.TypeA, true)); r.Rcode != dns.RcodeSuccess {
		t.Errorf("one referral with max-depth 1: rcode %s", dns.RcodeToString[r.Rcode])
	}
	if r := serve(t, tr.s, query("host.deep.sub.example.org.", dns.TypeA, true)); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("two referrals with max-depth 1: rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
}

func TestServeDNSWithoutData(t *testing.T) {
	clk := newFakeClock()
	s := newTestStubzones(clk, map[string]*options{zoneName: testOptions("127.0.0.1:1")})
	q := query("www.example.org.", dns.TypeA, true)
	q.SetEdns0(1232, false)
	r := serve(t, s, q)
	if r.Rcode != dns.RcodeServerFailure || !r.RecursionAvailable {
		t.Fatalf("rcode %s RA %v, want SERVFAIL RA=1", dns.RcodeToString[r.Rcode], r.RecursionAvailable)
	}
	opt := r.IsEdns0()
	if opt == nil || len(opt.Option) != 1 || opt.Option[0].(*dns.EDNS0_EDE).InfoCode != dns.ExtendedErrorCodeNoReachableAuthority {
		t.Errorf("want EDE 22 in the reply: %v", r)
	}
	if s.Ready() {
		t.Error("Ready without data")
	}
}

// The stub data serves until it expires, then SERVFAIL.
func TestServeDNSExpired(t *testing.T) {
	tr := startTree(t, defaultMaxDepth)
	if !tr.s.Ready() {
		t.Fatal("not ready with data")
	}
	tr.clock.Advance(599 * time.Second)
	if r := serve(t, tr.s, query("www.example.org.", dns.TypeA, false)); r.Rcode != dns.RcodeSuccess {
		t.Errorf("before expiry: %s", dns.RcodeToString[r.Rcode])
	}
	tr.clock.Advance(time.Second)
	for _, rd := range []bool{false, true} {
		if r := serve(t, tr.s, query("www.example.org.", dns.TypeA, rd)); r.Rcode != dns.RcodeServerFailure {
			t.Errorf("RD=%v after expiry: %s, want SERVFAIL", rd, dns.RcodeToString[r.Rcode])
		}
	}
	if tr.s.Ready() {
		t.Error("Ready with expired data")
	}
}

// Lame servers: the next one is asked; when all are lame, SERVFAIL.
func TestServeDNSLameServers(t *testing.T) {
	tr := startTree(t, defaultMaxDepth)
	refuse := func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeRefused)
		w.WriteMsg(m)
	}
	tr.servers["127.0.0.31"].set(refuse)
	for range 3 {
		if r := serve(t, tr.s, query("www.example.org.", dns.TypeA, true)); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("one lame server of two: %v", r)
		}
	}
	tr.servers["127.0.0.32"].set(refuse)
	if r := serve(t, tr.s, query("www.example.org.", dns.TypeA, true)); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("all lame: rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
}

// A server that does not answer is asked again only after healthMemory.
func TestServeDNSAvoidsDeadServer(t *testing.T) {
	tr := startTree(t, defaultMaxDepth)
	dead := tr.servers["127.0.0.31"]
	dead.set(silent)
	dead.questions()
	for range 4 {
		if r := serve(t, tr.s, query("www.example.org.", dns.TypeA, true)); r.Rcode != dns.RcodeSuccess {
			t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
		}
	}
	if n := len(dead.questions()); n > 1 {
		t.Errorf("the silent server was asked %d times in 4 queries, want at most once", n)
	}
	tr.clock.Advance(healthMemory)
	tr.load(t) // keep the data fresh on the fake clock
	dead.questions()
	for range 4 {
		serve(t, tr.s, query("www.example.org.", dns.TypeA, true))
	}
	if n := len(dead.questions()); n == 0 {
		t.Error("the silent server was never asked again after healthMemory")
	}
}

// However many servers there are, one client query sends at most
// maxQueries messages.
func TestServeDNSBudget(t *testing.T) {
	var ips []string
	for i := range 3 * maxAddrsPerNS {
		ips = append(ips, fmt.Sprintf("127.0.0.%d", 100+i))
	}
	port := commonPort(t, ips...)
	servfail := func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		w.WriteMsg(m)
	}
	var servers []*testServer
	var glue []dns.RR
	for i, ip := range ips {
		servers = append(servers, startServer(t, ip, port, servfail))
		glue = append(glue, rrs(fmt.Sprintf("ns%d.example.org. 300 IN A %s", i/maxAddrsPerNS, ip))...)
	}
	o := testOptions("127.0.0.1:1")
	o.port = uint16(port)
	s := newTestStubzones(newFakeClock(), map[string]*options{zoneName: o})
	var ns []*dns.NS
	for i := range 3 {
		ns = append(ns, rrs(fmt.Sprintf("example.org. 300 IN NS ns%d.example.org.", i))[0].(*dns.NS))
	}
	d, err := newStubData(zoneName, rrs("example.org. 30 IN SOA ns0.example.org. h.example.org. 1 60 10 600 30")[0].(*dns.SOA), ns, glue, o, s.clock.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.zones[zoneName].data.Store(d)

	if r := serve(t, s, query("www.example.org.", dns.TypeA, true)); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	sent := 0
	for _, srv := range servers {
		sent += len(srv.questions())
	}
	if sent == 0 || sent > maxQueries {
		t.Errorf("%d messages sent for one client query; want 1 to %d", sent, maxQueries)
	}
}

func TestServeDNSOtherClassAndOpcode(t *testing.T) {
	tr := startTree(t, defaultMaxDepth)
	q := query("www.example.org.", dns.TypeTXT, true)
	q.Question[0].Qclass = dns.ClassCHAOS
	if r := serve(t, tr.s, q); len(r.Answer) != 1 || !strings.Contains(r.Answer[0].String(), "next") {
		t.Errorf("CH query not handed on: %v", r)
	}
}

func TestReferralRecordsAreCopies(t *testing.T) {
	tr := startTree(t, defaultMaxDepth)
	r := serve(t, tr.s, query("www.example.org.", dns.TypeA, false))
	r.Ns[0].Header().Name = "changed.test."
	r = serve(t, tr.s, query("www.example.org.", dns.TypeA, false))
	if r.Ns[0].Header().Name != zoneName {
		t.Error("a reply's records are the stub data's own")
	}
}

func TestMatch(t *testing.T) {
	o := testOptions("127.0.0.1")
	s := newTestStubzones(newFakeClock(), map[string]*options{"example.org.": o, "sub.example.org.": o, `a\.b.example.net.`: o})
	for _, tc := range []struct{ qname, want string }{
		{"example.org.", "example.org."},
		{"WWW.Example.Org.", "example.org."},
		{"www.sub.example.org.", "sub.example.org."},
		{"sub.example.org.", "sub.example.org."},
		{"xsub.example.org.", "example.org."},
		{"org.", ""},
		{"example.net.", ""},
		{`x.a\.b.example.net.`, `a\.b.example.net.`},
		{"b.example.net.", ""},
		{".", ""},
	} {
		got := ""
		if z := s.match(tc.qname); z != nil {
			got = z.name
		}
		if got != tc.want {
			t.Errorf("match(%q) = %q, want %q", tc.qname, got, tc.want)
		}
	}
	s = newTestStubzones(newFakeClock(), map[string]*options{".": o})
	if z := s.match("www.example.org."); z == nil || z.name != "." {
		t.Error("the root stub zone does not hold every name")
	}
}
