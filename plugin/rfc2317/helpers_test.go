package rfc2317

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/file"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

// parentZone is the ISP's 2.0.192.in-addr.arpa with a stale PTR at .3 (a
// conflict with the delegation of 192.0.2.0/29) and an in-zone name server
// for the glue tests.
const parentZone = `$TTL 86400
@        IN SOA ns1.isp.example. hostmaster.isp.example. 2026010101 7200 3600 1209600 600
@        IN NS  ns1.isp.example.
3        IN PTR stale.customer.example.
7        IN PTR broadcast.isp.example.
10       IN PTR host10.isp.example.
ns       IN A   192.0.2.250
ns       IN AAAA 2001:db8::53
250      IN PTR ns.2.0.192.in-addr.arpa.
`

// childZone is the customer's 0/29.2.0.192.in-addr.arpa.
const childZone = `$TTL 3600
@ IN SOA ns1.customer.example. hostmaster.customer.example. 7 7200 3600 1209600 300
@ IN NS  ns1.customer.example.
1 IN PTR gw.customer.example.
3 IN PTR www.customer.example.
3 IN TXT "web server"
`

// newHandler parses an rfc2317 block for a server block with keys and starts
// it beside next (a file plugin, whose zones it watches).
func newHandler(t testing.TB, input string, keys []string, next file.File) *RFC2317 {
	t.Helper()
	cfg, err := parse(testController(input, keys...))
	if err != nil {
		t.Fatal(err)
	}
	co := newCore(cfg)
	co.watch.every = time.Hour // tests call round() themselves
	co.watch.start([]transfer.Transferer{next})
	t.Cleanup(co.watch.stop)
	return &RFC2317{Next: next, core: co}
}

// exchange runs m through h and returns the response.
func exchange(t testing.TB, h *RFC2317, m *dns.Msg) *dns.Msg {
	t.Helper()
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := h.ServeDNS(context.Background(), rec, m); err != nil {
		t.Fatalf("%s: %v", m.Question[0].String(), err)
	}
	if rec.Msg == nil {
		t.Fatalf("%s: no response written", m.Question[0].String())
	}
	return rec.Msg
}

// check runs tc through h and compares rcode, AA and every section.
func check(t *testing.T, h *RFC2317, tc test.Case, aa bool) {
	t.Helper()
	resp := exchange(t, h, tc.Msg())
	if err := test.CNAMEOrder(resp); err != nil {
		t.Errorf("%s %s: %v\n%s", tc.Qname, dns.TypeToString[tc.Qtype], err, resp)
	}
	for _, s := range [][]dns.RR{tc.Answer, tc.Ns, tc.Extra} {
		sort.Sort(test.RRSet(s))
	}
	if err := test.SortAndCheck(resp, tc); err != nil {
		t.Errorf("%s %s: %v\n%s", tc.Qname, dns.TypeToString[tc.Qtype], err, resp)
	}
	if resp.Authoritative != aa {
		t.Errorf("%s %s: AA = %v, want %v", tc.Qname, dns.TypeToString[tc.Qtype], resp.Authoritative, aa)
	}
}
