package stubzones

import (
	"context"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/corebind/corebind/plugin/pkg/dnsreply"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"

	"github.com/corebind/corebind/plugin/pkg/client"
)

// delegTree is example.org served in process by file (the server's own
// zone, as Next of the handler under test), with sub.example.org delegated
// to 127.0.0.33 and deep.sub.example.org from there to 127.0.0.34, real
// servers on one port.
type delegTree struct {
	d    *Delegations
	port int
}

const delegParent = `$TTL 300
@          IN SOA ns1 hostmaster 7 60 10 600 30
@          IN NS  ns1
ns1        IN A   127.0.0.31
www        IN A   192.0.2.80
toSub      IN CNAME www.sub
toDeep     IN CNAME host.deep.sub
sub        IN NS  ns.sub
ns.sub     IN A   127.0.0.33
dead       IN NS  ns.dead
ns.dead    IN A   127.0.0.35
`

func startDelegTree(t *testing.T, forward bool) *delegTree {
	t.Helper()
	port := commonPort(t, "127.0.0.33", "127.0.0.34", "127.0.0.35")
	startServer(t, "127.0.0.33", port, authServer(t, map[string]string{"sub.example.org.": treeSub}))
	startServer(t, "127.0.0.34", port, authServer(t, map[string]string{"deep.sub.example.org.": treeDeep}))
	startServer(t, "127.0.0.35", port, silent)
	f := testkit.FileZones(t, map[string]string{"example.org.": delegParent})
	o := &options{maxDepth: defaultMaxDepth, port: uint16(port)}
	d := newDelegations([]string{"example.org."}, o, forward)
	d.Next = f
	return &delegTree{d: d, port: port}
}

func (tr *delegTree) serve(t *testing.T, ctx context.Context, m *dns.Msg) *dns.Msg {
	t.Helper()
	rec := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: "127.0.0.2"})
	rcode, err := tr.d.ServeDNS(ctx, rec, m)
	if err != nil {
		t.Logf("ServeDNS: %v", err)
	}
	if rec.Msg == nil {
		t.Fatalf("no reply to %s (rcode %d)", m.Question[0].String(), rcode)
	}
	return rec.Msg
}

func answerText(m *dns.Msg) string {
	var s []string
	for _, rr := range m.Answer {
		s = append(s, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	return strings.Join(s, "; ")
}

func isReferralTo(m *dns.Msg, cut string) bool {
	return m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0 && !m.Authoritative &&
		len(m.Ns) > 0 && m.Ns[0].Header().Rrtype == dns.TypeNS && m.Ns[0].Header().Name == cut
}

func TestDelegationsResolve(t *testing.T) {
	tr := startDelegTree(t, false)
	// serverOf is "" without a server in the context.
	resolved0 := counterValue(delegationCount, "", "example.org.", "resolved")
	sent0 := counterValue(upstreamCount, "", "example.org.", "NOERROR")
	defer func() {
		// 6 answers and 1 NXDOMAIN from the delegated servers; own data is
		// not counted.
		if got := counterValue(delegationCount, "", "example.org.", "resolved") - resolved0; got != 7 {
			t.Errorf("delegations_total{resolved} went up by %v; want 7", got)
		}
		if got := counterValue(upstreamCount, "", "example.org.", "NOERROR") - sent0; got < 6 {
			t.Errorf("upstream_queries_total{example.org.,NOERROR} went up by %v; want at least 6", got)
		}
	}()
	allowed := client.WithRecursion(context.Background(), true)
	undecided := context.Background()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		q      *dns.Msg
		answer string
		rcode  int
		aa     bool
	}{
		{"below the cut", allowed, query("www.sub.example.org.", dns.TypeA, true), "www.sub.example.org. 300 IN A 192.0.2.81", dns.RcodeSuccess, false},
		{"without recursionacl", undecided, query("www.sub.example.org.", dns.TypeA, true), "www.sub.example.org. 300 IN A 192.0.2.81", dns.RcodeSuccess, false},
		{"two cuts down", allowed, query("host.deep.sub.example.org.", dns.TypeA, true), "host.deep.sub.example.org. 300 IN A 192.0.2.82", dns.RcodeSuccess, false},
		{"NS at the cut", allowed, query("sub.example.org.", dns.TypeNS, true), "sub.example.org. 300 IN NS ns.sub.example.org.", dns.RcodeSuccess, false},
		{"in-zone CNAME into the cut", allowed, query("toSub.example.org.", dns.TypeA, true), "tosub.example.org. 300 IN CNAME www.sub.example.org.; www.sub.example.org. 300 IN A 192.0.2.81", dns.RcodeSuccess, true},
		{"CNAME two cuts down", allowed, query("todeep.example.org.", dns.TypeA, true), "todeep.example.org. 300 IN CNAME host.deep.sub.example.org.; host.deep.sub.example.org. 300 IN A 192.0.2.82", dns.RcodeSuccess, true},
		{"NXDOMAIN below the cut", allowed, query("nope.sub.example.org.", dns.TypeA, true), "", dns.RcodeNameError, false},
		{"own data untouched", allowed, query("www.example.org.", dns.TypeA, true), "www.example.org. 300 IN A 192.0.2.80", dns.RcodeSuccess, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tr.serve(t, tc.ctx, tc.q)
			if m.Rcode != tc.rcode || answerText(m) != tc.answer || m.Authoritative != tc.aa {
				t.Errorf("got rcode %s AA=%v answer %q; want %s AA=%v %q", dns.RcodeToString[m.Rcode], m.Authoritative, answerText(m), dns.RcodeToString[tc.rcode], tc.aa, tc.answer)
			}
			if !tc.aa && !m.RecursionAvailable {
				t.Error("resolved answer without RA")
			}
			if tc.rcode == dns.RcodeNameError && (len(m.Ns) != 1 || m.Ns[0].Header().Name != "sub.example.org.") {
				t.Errorf("NXDOMAIN authority %v; want the child's SOA", m.Ns)
			}
		})
	}
}

func TestDelegationsKeepReferral(t *testing.T) {
	tr := startDelegTree(t, false)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		q    *dns.Msg
	}{
		{"denied client", client.WithRecursion(context.Background(), false), query("www.sub.example.org.", dns.TypeA, true)},
		{"RD=0", client.WithRecursion(context.Background(), true), query("www.sub.example.org.", dns.TypeA, false)},
		{"RD=0 without recursionacl", context.Background(), query("www.sub.example.org.", dns.TypeA, false)},
		// recursionacl passes a denied client's query for its zones on with
		// a cancelled context: no network work.
		{"cancelled context", cancelled(), query("www.sub.example.org.", dns.TypeA, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tr.serve(t, tc.ctx, tc.q)
			if !isReferralTo(m, "sub.example.org.") {
				t.Fatalf("not the referral to sub.example.org:\n%s", m)
			}
			if len(m.Extra) != 1 || m.Extra[0].Header().Name != "ns.sub.example.org." {
				t.Errorf("glue %v", m.Extra)
			}
		})
	}
	// A CNAME query gets the CNAME, not the chain followed, as from BIND.
	m0 := tr.serve(t, context.Background(), query("tosub.example.org.", dns.TypeCNAME, true))
	if answerText(m0) != "tosub.example.org. 300 IN CNAME www.sub.example.org." || !m0.Authoritative {
		t.Errorf("CNAME query: %s", m0)
	}
	// DS at the cut is the parent's own (here: NODATA), never followed.
	m := tr.serve(t, context.Background(), query("sub.example.org.", dns.TypeDS, true))
	if !m.Authoritative || len(m.Answer) != 0 || m.Ns[0].Header().Rrtype != dns.TypeSOA {
		t.Errorf("DS at the cut: %s", m)
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestDelegationsUnreachable(t *testing.T) {
	tr := startDelegTree(t, false)
	q := query("www.dead.example.org.", dns.TypeA, true)
	q.SetEdns0(1232, false)
	m := tr.serve(t, context.Background(), q)
	if m.Rcode != dns.RcodeServerFailure {
		t.Fatalf("rcode %s; want SERVFAIL", dns.RcodeToString[m.Rcode])
	}
	var ede *dns.EDNS0_EDE
	if opt := m.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				ede = e
			}
		}
	}
	if got := counterValue(delegationCount, "", "example.org.", "failed"); got < 1 {
		t.Errorf("delegations_total{failed} = %v", got)
	}
	if ede == nil || ede.InfoCode != dns.ExtendedErrorCodeNoReachableAuthority || !strings.Contains(ede.ExtraText, "dead.example.org.") {
		t.Errorf("EDE %v; want 22 naming dead.example.org.", ede)
	}
}

func TestDelegationsForward(t *testing.T) {
	tr := startDelegTree(t, true)
	var asked []string
	fwd := plugin.HandlerFunc(func(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		asked = append(asked, r.Question[0].Name)
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable, m.Authoritative = true, true
		m.Answer = rrs(r.Question[0].Name + " 60 IN A 192.0.2.99")
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	})
	if err := tr.d.OnStartup(nil); err == nil || !strings.Contains(err.Error(), "no forward plugin") {
		t.Errorf("forward without the forward plugin: %v", err)
	}
	if err := tr.d.OnStartup(fwd); err != nil {
		t.Fatal(err)
	}
	m := tr.serve(t, context.Background(), query("www.sub.example.org.", dns.TypeA, true))
	if answerText(m) != "www.sub.example.org. 60 IN A 192.0.2.99" || m.Authoritative || !m.RecursionAvailable {
		t.Errorf("forwarded answer AA=%v RA=%v %q; want AA=false RA=true (the data is not ours)", m.Authoritative, m.RecursionAvailable, answerText(m))
	}
	m = tr.serve(t, context.Background(), query("tosub.example.org.", dns.TypeA, true))
	if answerText(m) != "tosub.example.org. 300 IN CNAME www.sub.example.org.; www.sub.example.org. 60 IN A 192.0.2.99" || !m.Authoritative {
		t.Errorf("CNAME then forwarded target: AA=%v %q", m.Authoritative, answerText(m))
	}
	if strings.Join(asked, " ") != "www.sub.example.org. www.sub.example.org." {
		t.Errorf("forward asked %v", asked)
	}
	// Referrals only: an answer of the zone's own never reaches forward.
	tr.serve(t, context.Background(), query("www.example.org.", dns.TypeA, true))
	if len(asked) != 2 {
		t.Errorf("forward asked for the zone's own data: %v", asked)
	}
}

func TestReferralCut(t *testing.T) {
	msg := func(aa bool, rcode int, answer, ns string) *dns.Msg {
		m := new(dns.Msg)
		m.Authoritative, m.Rcode = aa, rcode
		if answer != "" {
			m.Answer = rrs(answer)
		}
		if ns != "" {
			m.Ns = rrs(ns)
		}
		return m
	}
	for _, tc := range []struct {
		name string
		m    *dns.Msg
		want string
	}{
		{"referral", msg(false, 0, "", "sub.example.org. 300 IN NS ns.sub.example.org."), "sub.example.org."},
		{"mixed case", msg(false, 0, "", "Sub.Example.org. 300 IN NS ns.sub.example.org."), "sub.example.org."},
		{"CNAME into the cut", msg(true, 0, "a.example.org. 300 IN CNAME www.sub.example.org.", "sub.example.org. 300 IN NS ns.sub.example.org."), "sub.example.org."},
		{"AA referral is an answer", msg(true, 0, "", "sub.example.org. 300 IN NS ns.sub.example.org."), ""},
		{"apex NS", msg(false, 0, "", "example.org. 300 IN NS ns1.example.org."), ""},
		{"another zone", msg(false, 0, "", "sub.example.net. 300 IN NS ns.example.net."), ""},
		{"SOA: negative", msg(false, 0, "", "sub.example.org. 300 IN SOA ns h 1 2 3 4 5"), ""},
		{"NXDOMAIN", msg(false, dns.RcodeNameError, "", "sub.example.org. 300 IN NS ns.sub.example.org."), ""},
		{"sideways", msg(false, 0, "", "other.example.org. 300 IN NS ns.other.example.org."), ""},
		{"from a resolver (RA=1)", func() *dns.Msg {
			m := msg(false, 0, "", "sub.example.org. 300 IN NS ns.sub.example.org.")
			m.RecursionAvailable = true
			return m
		}(), ""},
		{"data in the answer", msg(false, 0, "www.sub.example.org. 300 IN A 192.0.2.1", "sub.example.org. 300 IN NS ns.sub.example.org."), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qname := "www.sub.example.org."
			if len(tc.m.Answer) > 0 {
				qname = tc.m.Answer[0].Header().Name
			}
			if got := referralCut(tc.m, "example.org.", qname); got != tc.want {
				t.Errorf("referralCut = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestSetupDelegations(t *testing.T) {
	for _, tc := range []struct {
		input string
		keys  []string
		line  int
		err   string
		check func(*Delegations) bool
	}{
		{input: "delegations", keys: []string{"Example.org."}, check: func(d *Delegations) bool {
			return len(d.zones) == 1 && d.zones[0] == "example.org." && !d.forward && d.opts.port == 53 && d.opts.maxDepth == defaultMaxDepth
		}},
		{input: "delegations example.org 10.0.0.0/8 {\n forward\n max-depth 2\n port 5353\n}", keys: []string{"."}, check: func(d *Delegations) bool {
			return len(d.zones) == 2 && d.zones[1] == "10.in-addr.arpa." && d.forward && d.opts.port == 5353 && d.opts.maxDepth == 2
		}},
		{input: "delegations {\n primaries 127.0.0.1\n}", keys: []string{"."}, line: 2, err: `unknown property "primaries"`},
		{input: "delegations {\n forward 127.0.0.1\n}", keys: []string{"."}, line: 2, err: "forward takes no arguments"},
		{input: "delegations {\n port 0\n}", keys: []string{"."}, line: 2, err: "want a number from 1 to 65535"},
		{input: "delegations a..b", keys: []string{"."}, line: 1, err: "not a valid domain name"},
		{input: "delegations\ndelegations", keys: []string{"."}, line: 2, err: "given twice"},
	} {
		c := caddy.NewTestController("dns", tc.input)
		c.ServerBlockKeys = tc.keys
		d, err := parseDelegations(c)
		switch {
		case tc.err != "":
			testkit.CheckParseErrorAt(t, err, "", tc.line, tc.err)
		case err != nil:
			t.Errorf("%q: %v", tc.input, err)
		case !tc.check(d):
			t.Errorf("%q: parsed %+v, opts %+v", tc.input, d, d.opts)
		}
	}
}

// The shape rfc2317 gives for an address in a delegated block: the CNAME
// and the child's NS. Held for an A or PTR query (to follow the chain), not
// for a CNAME or ANY query, whose answer the CNAME is.
func TestReferralWriterCNAMEQuery(t *testing.T) {
	m := new(dns.Msg)
	m.Authoritative = true
	m.Answer = rrs("3.2.0.192.in-addr.arpa. 300 IN CNAME 3.0-7.2.0.192.in-addr.arpa.")
	m.Ns = rrs("0-7.2.0.192.in-addr.arpa. 300 IN NS ns.customer.test.")
	for qtype, held := range map[uint16]bool{dns.TypePTR: true, dns.TypeA: true, dns.TypeCNAME: false, dns.TypeANY: false} {
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		w := &referralWriter{Writer: dnsreply.Writer{ResponseWriter: rec}, parent: "2.0.192.in-addr.arpa.", qname: "3.2.0.192.in-addr.arpa.", qtype: qtype}
		w.WriteMsg(m)
		if (w.held != nil) != held || (rec.Msg == nil) != held {
			t.Errorf("%s: held %v, written %v; want held %v", dns.TypeToString[qtype], w.held != nil, rec.Msg != nil, held)
		}
	}
}
