package rfc2317

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/corebind/corebind/plugin/pkg/client"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
)

const parentBlock = `rfc2317 {
	delegate 192.0.2.0/29 ns1.customer.example. ns.2.0.192.in-addr.arpa.
}`

var (
	cut     = "0/29.2.0.192.in-addr.arpa."
	cutNS   = []dns.RR{test.NS(cut + " 600 IN NS ns1.customer.example."), test.NS(cut + " 600 IN NS ns.2.0.192.in-addr.arpa.")}
	cutGlue = []dns.RR{test.A("ns.2.0.192.in-addr.arpa. 86400 IN A 192.0.2.250"), test.AAAA("ns.2.0.192.in-addr.arpa. 86400 IN AAAA 2001:db8::53")}
	apexSOA = test.SOA("2.0.192.in-addr.arpa. 86400 IN SOA ns1.isp.example. hostmaster.isp.example. 2026010101 7200 3600 1209600 600")
)

// TestParentCNAME: behaviour 1, the CNAME for any qtype, authoritative,
// with the child's NS and their glue.
func TestParentCNAME(t *testing.T) {
	h := newHandler(t, parentBlock, nil, testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone}))
	for _, qtype := range []uint16{dns.TypePTR, dns.TypeTXT, dns.TypeA, dns.TypeNS} {
		check(t, h, test.Case{
			Qname: "3.2.0.192.in-addr.arpa.", Qtype: qtype,
			Answer: []dns.RR{test.CNAME("3.2.0.192.in-addr.arpa. 600 IN CNAME 3.0/29.2.0.192.in-addr.arpa.")},
			Ns:     cutNS,
			Extra:  cutGlue,
		}, true)
	}
	checkOwnData(t, h)
	// An in-zone name server of the parent comes with its glue.
	inZone := strings.Replace(parentZone, "@        IN NS  ns1.isp.example.\n", "@        IN NS  ns1.isp.example.\n@        IN NS  ns.2.0.192.in-addr.arpa.\n", 1)
	h = newHandler(t, parentBlock, nil, testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": inZone}))
	check(t, h, test.Case{
		Qname: "3.2.0.192.in-addr.arpa.", Qtype: dns.TypeCNAME,
		Answer: []dns.RR{test.CNAME("3.2.0.192.in-addr.arpa. 600 IN CNAME 3.0/29.2.0.192.in-addr.arpa.")},
		Ns:     []dns.RR{test.NS("2.0.192.in-addr.arpa. 86400 IN NS ns1.isp.example."), test.NS("2.0.192.in-addr.arpa. 86400 IN NS ns.2.0.192.in-addr.arpa.")},
		Extra:  cutGlue,
	}, true)
	// Every address of the block by default, network and broadcast too;
	// the owner keeps the client's spelling.
	for _, q := range []string{"0.2.0.192.in-addr.arpa.", "7.2.0.192.IN-ADDR.ARPA."} {
		octet := q[:1]
		check(t, h, test.Case{
			Qname: q, Qtype: dns.TypePTR,
			Answer: []dns.RR{test.CNAME(q + " 600 IN CNAME " + octet + ".0/29.2.0.192.in-addr.arpa.")},
			Ns:     cutNS, Extra: cutGlue,
		}, true)
	}
}

// TestParentReferral: behaviour 2, names at or below the child zone get a
// referral and never a second CNAME.
func TestParentReferral(t *testing.T) {
	h := newHandler(t, parentBlock, nil, testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone}))
	for _, q := range []string{cut, "3." + cut, "a.b." + cut, "0/29.2.0.192.IN-ADDR.arpa."} {
		for _, qtype := range []uint16{dns.TypePTR, dns.TypeNS, dns.TypeSOA, dns.TypeANY} {
			check(t, h, test.Case{Qname: q, Qtype: qtype, Ns: cutNS, Extra: cutGlue}, false)
		}
	}
	// The DS of the child zone is parent-side data: here none, so NODATA
	// from the zone's SOA, not the NXDOMAIN the zone alone would give.
	check(t, h, test.Case{Qname: cut, Qtype: dns.TypeDS, Ns: []dns.RR{apexSOA}}, true)
}

// TestParentFallThrough: behaviour 3, everything else is the zone's.
func TestParentFallThrough(t *testing.T) {
	h := newHandler(t, parentBlock, nil, testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone}))
	check(t, h, test.Case{
		Qname: "10.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR,
		Answer: []dns.RR{test.PTR("10.2.0.192.in-addr.arpa. 86400 IN PTR host10.isp.example.")},
		Ns:     []dns.RR{test.NS("2.0.192.in-addr.arpa. 86400 IN NS ns1.isp.example.")},
	}, true)
	check(t, h, test.Case{
		Qname: "99.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError,
		Ns: []dns.RR{apexSOA},
	}, true)
	check(t, h, test.Case{
		Qname: "x.3.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError,
		Ns: []dns.RR{apexSOA},
	}, true)
	check(t, h, test.Case{
		Qname: "2.0.192.in-addr.arpa.", Qtype: dns.TypeSOA,
		Answer: []dns.RR{apexSOA},
		Ns:     []dns.RR{test.NS("2.0.192.in-addr.arpa. 86400 IN NS ns1.isp.example.")},
	}, true)
}

// TestConflicts: behaviour 3, a PTR in the zone where a CNAME is synthesized
// is reported at startup and never served beside the CNAME; a reloaded zone
// is checked again.
func TestConflicts(t *testing.T) {
	f := testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone + "0/29 IN NS ns.other.example.\n1.0/29 IN PTR copy.customer.example.\n"})
	h := newHandler(t, parentBlock, nil, f)
	got := h.watch.Problems()
	want := []string{
		`"3.2.0.192.in-addr.arpa.\t86400\tIN\tPTR\tstale.customer.example." where rfc2317 answers CNAME 3.0/29.2.0.192.in-addr.arpa.`,
		`"7.2.0.192.in-addr.arpa.\t86400\tIN\tPTR\tbroadcast.isp.example." where rfc2317 answers CNAME 7.0/29.2.0.192.in-addr.arpa.`,
		`"1.0/29.2.0.192.in-addr.arpa.\t86400\tIN\tPTR\tcopy.customer.example." below the delegation of 0/29.2.0.192.in-addr.arpa.`,
		`has NS records at 0/29.2.0.192.in-addr.arpa. (ns.other.example.) that differ from delegate 192.0.2.0/29 (line 2: ns.2.0.192.in-addr.arpa. ns1.customer.example.)`,
	}
	if len(got) != len(want) {
		t.Fatalf("conflicts:\n%s", strings.Join(got, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("no conflict %s in:\n%s", w, strings.Join(got, "\n"))
		}
	}
	// Served: the CNAME alone; the delegate line's NS, not the zone's.
	check(t, h, test.Case{
		Qname: "3.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR,
		Answer: []dns.RR{test.CNAME("3.2.0.192.in-addr.arpa. 600 IN CNAME 3.0/29.2.0.192.in-addr.arpa.")},
		Ns:     cutNS, Extra: cutGlue,
	}, true)

	// The operator cleans the zone up; the next round sees it.
	clean := strings.NewReplacer("2026010101", "2026010102", "3        IN PTR stale.customer.example.\n", "", "7        IN PTR broadcast.isp.example.\n", "").Replace(parentZone)
	testkit.SetZone(t, &f, "2.0.192.in-addr.arpa.", clean)
	h.watch.round()
	if got := h.watch.Problems(); len(got) != 0 {
		t.Errorf("conflicts after the cleanup:\n%s", strings.Join(got, "\n"))
	}
}

// TestAddresses: only the addresses line's range gets CNAMEs; network and
// broadcast stay the zone's.
func TestAddresses(t *testing.T) {
	h := newHandler(t, `rfc2317 {
		delegate 192.0.2.0/29 ns1.customer.example.
		addresses 192.0.2.0/29 1-6
		label 192.0.2.0/29 1-6
	}`, nil, testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone}))
	ns := []dns.RR{test.NS("1-6.2.0.192.in-addr.arpa. 600 IN NS ns1.customer.example.")}
	for _, o := range []string{"1", "3", "6"} {
		check(t, h, test.Case{
			Qname: o + ".2.0.192.in-addr.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.CNAME(o + ".2.0.192.in-addr.arpa. 600 IN CNAME " + o + ".1-6.2.0.192.in-addr.arpa.")},
			Ns:     ns,
		}, true)
	}
	check(t, h, test.Case{
		Qname: "7.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR,
		Answer: []dns.RR{test.PTR("7.2.0.192.in-addr.arpa. 86400 IN PTR broadcast.isp.example.")},
		Ns:     []dns.RR{test.NS("2.0.192.in-addr.arpa. 86400 IN NS ns1.isp.example.")},
	}, true)
	check(t, h, test.Case{Qname: "0.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError, Ns: []dns.RR{apexSOA}}, true)
	if got := h.watch.Problems(); len(got) != 1 || !strings.Contains(got[0], "3.2.0.192.in-addr.arpa.") {
		t.Errorf("conflicts: %q, want only the PTR at .3", got)
	}
}

// TestTTL: the ttl option, else the zone's SOA minimum (followed across
// reloads), else 3600.
func TestTTL(t *testing.T) {
	f := testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone})
	h := newHandler(t, parentBlock, nil, f)
	ttl := func(h *RFC2317) uint32 {
		t.Helper()
		m := exchange(t, h, new(dns.Msg).SetQuestion("3.2.0.192.in-addr.arpa.", dns.TypePTR))
		if len(m.Answer) != 1 || len(m.Ns) == 0 || m.Ns[0].Header().Ttl != m.Answer[0].Header().Ttl {
			t.Fatalf("unexpected response:\n%s", m)
		}
		return m.Answer[0].Header().Ttl
	}
	if got := ttl(h); got != 600 {
		t.Errorf("TTL %d, want the SOA minimum 600", got)
	}
	testkit.SetZone(t, &f, "2.0.192.in-addr.arpa.", strings.NewReplacer("2026010101", "2026010102", "1209600 600", "1209600 900").Replace(parentZone))
	h.watch.round()
	if got := ttl(h); got != 900 {
		t.Errorf("TTL %d after the zone changed, want 900", got)
	}
	h = newHandler(t, "rfc2317 {\n delegate 192.0.2.0/29 ns1.customer.example.\n ttl 120\n}", nil, f)
	if got := ttl(h); got != 120 {
		t.Errorf("TTL %d, want the ttl option's 120", got)
	}
	h = newHandler(t, parentBlock, nil, testkit.FileZones(t, nil))
	if got := ttl(h); got != 3600 {
		t.Errorf("TTL %d without a zone, want 3600", got)
	}
}

// TestLargerZone: the parent zone is 0.192.in-addr.arpa; 2.0.192 holds only
// synthesized names, so it is an empty non-terminal, never NXDOMAIN.
func TestLargerZone(t *testing.T) {
	zone := `$TTL 3600
@ IN SOA ns1.isp.example. hostmaster.isp.example. 5 7200 3600 1209600 1800
@ IN NS  ns1.isp.example.
1.1 IN PTR host.isp.example.
`
	h := newHandler(t, parentBlock, []string{"0.192.in-addr.arpa."}, testkit.FileZones(t, map[string]string{"0.192.in-addr.arpa.": zone}))
	soa := test.SOA("0.192.in-addr.arpa. 3600 IN SOA ns1.isp.example. hostmaster.isp.example. 5 7200 3600 1209600 1800")
	check(t, h, test.Case{Qname: "2.0.192.in-addr.arpa.", Qtype: dns.TypeNS, Ns: []dns.RR{soa}}, true)
	check(t, h, test.Case{Qname: "3.0.192.in-addr.arpa.", Qtype: dns.TypeNS, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa}}, true)
	m := exchange(t, h, new(dns.Msg).SetQuestion("5.2.0.192.in-addr.arpa.", dns.TypePTR))
	if len(m.Answer) != 1 || m.Answer[0].Header().Ttl != 1800 {
		t.Errorf("CNAME with the SOA minimum of 0.192.in-addr.arpa. expected:\n%s", m)
	}
}

// TestChild: behaviour 7, the customer's server answers the original names
// of its addresses with the CNAME and the child zone's answer.
func TestChild(t *testing.T) {
	h := newHandler(t, "rfc2317 {\n child 192.0.2.0/29\n}", nil, testkit.FileZones(t, map[string]string{cut: childZone}))
	cname := func(o string) dns.RR {
		return test.CNAME(o + ".2.0.192.in-addr.arpa. 300 IN CNAME " + o + "." + cut)
	}
	childNS := []dns.RR{test.NS(cut + " 3600 IN NS ns1.customer.example.")}
	childSOA := test.SOA(cut + " 3600 IN SOA ns1.customer.example. hostmaster.customer.example. 7 7200 3600 1209600 300")
	check(t, h, test.Case{
		Qname: "3.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR,
		Answer: []dns.RR{cname("3"), test.PTR("3." + cut + " 3600 IN PTR www.customer.example.")},
		Ns:     childNS,
	}, true)
	check(t, h, test.Case{
		Qname: "3.2.0.192.in-addr.arpa.", Qtype: dns.TypeTXT,
		Answer: []dns.RR{cname("3"), test.TXT("3." + cut + ` 3600 IN TXT "web server"`)},
		Ns:     childNS,
	}, true)
	check(t, h, test.Case{Qname: "3.2.0.192.in-addr.arpa.", Qtype: dns.TypeCNAME, Answer: []dns.RR{cname("3")}}, true)
	check(t, h, test.Case{
		Qname: "5.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError,
		Answer: []dns.RR{cname("5")}, Ns: []dns.RR{childSOA},
	}, true)
	check(t, h, test.Case{
		Qname: "1.2.0.192.in-addr.arpa.", Qtype: dns.TypeMX,
		Answer: []dns.RR{cname("1")}, Ns: []dns.RR{childSOA},
	}, true)
	// The child zone itself is the file's (behaviour 6).
	check(t, h, test.Case{
		Qname: "1." + cut, Qtype: dns.TypePTR,
		Answer: []dns.RR{test.PTR("1." + cut + " 3600 IN PTR gw.customer.example.")},
		Ns:     childNS,
	}, true)
	// Outside the block: not ours, and the file has no zone for it.
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	rc, _ := h.ServeDNS(context.Background(), rec, new(dns.Msg).SetQuestion("9.2.0.192.in-addr.arpa.", dns.TypePTR))
	if rc != dns.RcodeRefused || rec.Msg != nil {
		t.Errorf("9.2.0.192.in-addr.arpa.: rcode %d, written %v; want REFUSED from file, nothing written", rc, rec.Msg)
	}
}

// TestChildAlone: without the child zone beside it, the CNAME stands alone
// with the default TTL.
func TestChildAlone(t *testing.T) {
	h := newHandler(t, "rfc2317 {\n child 192.0.2.0/29 0-7\n}", nil, testkit.FileZones(t, nil))
	check(t, h, test.Case{
		Qname: "3.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR,
		Answer: []dns.RR{test.CNAME("3.2.0.192.in-addr.arpa. 3600 IN CNAME 3.0-7.2.0.192.in-addr.arpa.")},
	}, true)
	if len(h.watch.warned) != 1 {
		t.Errorf("no warning about the missing child zone")
	}
}

func TestAuthoritative(t *testing.T) {
	h := newHandler(t, "rfc2317 {\n delegate 192.0.2.0/29 ns1.customer.example.\n addresses 192.0.2.0/29 1-6\n child 192.0.2.8/29\n}", nil, testkit.FileZones(t, nil))
	for name, want := range map[string]bool{
		"3.2.0.192.in-addr.arpa.":      true,
		"3.2.0.192.in-addr.arpa":       true,
		"3.2.0.192.IN-ADDR.ARPA.":      true,
		"7.2.0.192.in-addr.arpa.":      false, // outside addresses
		"0/29.2.0.192.in-addr.arpa.":   true,
		"5.0/29.2.0.192.in-addr.arpa.": true,
		"9.2.0.192.in-addr.arpa.":      true, // child side
		"1.8/29.2.0.192.in-addr.arpa.": false,
		"2.0.192.in-addr.arpa.":        false,
		"20.2.0.192.in-addr.arpa.":     false,
		"example.org.":                 false,
	} {
		if got := h.Authoritative(name); got != want {
			t.Errorf("Authoritative(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestMetrics(t *testing.T) {
	h := newHandler(t, "rfc2317 {\n delegate 192.0.2.0/29 ns1.customer.example.\n child 192.0.2.8/29\n}", nil, testkit.FileZones(t, nil))
	count := func(kind string) float64 {
		var m dto.Metric
		if err := responses.WithLabelValues("", kind).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetCounter().GetValue()
	}
	before := map[string]float64{"cname": count("cname"), "referral": count("referral"), "child": count("child")}
	for _, q := range []string{"1.2.0.192.in-addr.arpa.", "2.2.0.192.in-addr.arpa.", "1.0/29.2.0.192.in-addr.arpa.", "9.2.0.192.in-addr.arpa."} {
		exchange(t, h, new(dns.Msg).SetQuestion(q, dns.TypePTR))
	}
	for kind, n := range map[string]float64{"cname": 2, "referral": 1, "child": 1} {
		if got := count(kind) - before[kind]; got != n {
			t.Errorf("%s: %v more, want %v", kind, got, n)
		}
	}
}

// TestPassThrough: other opcodes, classes and zone transfers are not ours.
func TestPassThrough(t *testing.T) {
	h := newHandler(t, parentBlock, nil, testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone}))
	for _, m := range []*dns.Msg{
		func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("3.2.0.192.in-addr.arpa.", dns.TypePTR)
			m.Question[0].Qclass = dns.ClassCHAOS
			return m
		}(),
		new(dns.Msg).SetQuestion("2.0.192.in-addr.arpa.", dns.TypeAXFR),
		new(dns.Msg).SetNotify("2.0.192.in-addr.arpa."),
	} {
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		h.ServeDNS(context.Background(), rec, m)
		if rec.Msg != nil && len(rec.Msg.Answer) > 0 {
			if _, ok := rec.Msg.Answer[0].(*dns.CNAME); ok {
				t.Errorf("%s: synthesized a CNAME:\n%s", m.Question[0].String(), rec.Msg)
			}
		}
	}
}

// checkOwnData: CNAME and ANY ask for the owner's own data, so BIND does
// not follow the CNAME and gives the parent zone's NS.
func checkOwnData(t *testing.T, h *RFC2317) {
	t.Helper()
	for _, qtype := range []uint16{dns.TypeCNAME, dns.TypeANY} {
		check(t, h, test.Case{
			Qname: "3.2.0.192.in-addr.arpa.", Qtype: qtype,
			Answer: []dns.RR{test.CNAME("3.2.0.192.in-addr.arpa. 600 IN CNAME 3.0/29.2.0.192.in-addr.arpa.")},
			Ns:     []dns.RR{test.NS("2.0.192.in-addr.arpa. 86400 IN NS ns1.isp.example.")},
		}, true)
	}
}

// TestParentHostsChild: a parent that serves the child zone too answers
// from it, as BIND does, instead of referring to itself.
func TestParentHostsChild(t *testing.T) {
	h := newHandler(t, parentBlock, nil, testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone, cut: childZone}))
	childNS := []dns.RR{test.NS(cut + " 3600 IN NS ns1.customer.example.")}
	check(t, h, test.Case{
		Qname: "3.2.0.192.in-addr.arpa.", Qtype: dns.TypePTR,
		Answer: []dns.RR{
			test.CNAME("3.2.0.192.in-addr.arpa. 600 IN CNAME 3.0/29.2.0.192.in-addr.arpa."),
			test.PTR("3." + cut + " 3600 IN PTR www.customer.example."),
		},
		Ns: childNS,
	}, true)
	// CNAME and ANY: the parent's own data and NS, the child zone not asked.
	checkOwnData(t, h)
	check(t, h, test.Case{
		Qname: "1." + cut, Qtype: dns.TypePTR,
		Answer: []dns.RR{test.PTR("1." + cut + " 3600 IN PTR gw.customer.example.")},
		Ns:     childNS,
	}, true)
}

// TestParentHostsChildNoRecursion: BIND follows the CNAME into a child zone
// it serves too only through its recursion; for RD=0 queries and clients
// recursionacl denied, the CNAME stands alone, without authority.
func TestParentHostsChildNoRecursion(t *testing.T) {
	h := newHandler(t, parentBlock, nil, testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone, cut: childZone}))
	cname := test.CNAME("3.2.0.192.in-addr.arpa. 600 IN CNAME 3.0/29.2.0.192.in-addr.arpa.")
	for _, tc := range []struct {
		name    string
		rd      bool
		ctx     context.Context
		wantPTR bool
	}{
		{"RD=0", false, context.Background(), false},
		{"RD=0 allowed", false, client.WithRecursion(context.Background(), true), false},
		{"RD=1 denied", true, client.WithRecursion(context.Background(), false), false},
		{"RD=1 allowed", true, client.WithRecursion(context.Background(), true), true},
		{"RD=1 no recursionacl", true, context.Background(), true},
	} {
		m := new(dns.Msg).SetQuestion("3.2.0.192.in-addr.arpa.", dns.TypePTR)
		m.RecursionDesired = tc.rd
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		if _, err := h.ServeDNS(tc.ctx, rec, m); err != nil || rec.Msg == nil {
			t.Fatalf("%s: %v, %v", tc.name, err, rec.Msg)
		}
		r := rec.Msg
		if !r.Authoritative || r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 || r.Answer[0].String() != cname.String() {
			t.Errorf("%s: want the CNAME, authoritative:\n%s", tc.name, r)
			continue
		}
		if got := len(r.Answer) == 2; got != tc.wantPTR {
			t.Errorf("%s: PTR followed %v, want %v:\n%s", tc.name, got, tc.wantPTR, r)
		}
		if !tc.wantPTR && (len(r.Answer) != 1 || len(r.Ns) != 0 || len(r.Extra) != 0) {
			t.Errorf("%s: want the CNAME alone:\n%s", tc.name, r)
		}
	}
}
