package stubzones

import (
	"context"
	"fmt"
	"testing"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// benchStubzones has 100 stub zones loaded with example.org's data, and a
// next plugin that does nothing.
func benchStubzones(b *testing.B) *Stubzones {
	b.Helper()
	o := testOptions("127.0.0.1")
	zones := map[string]*options{}
	for i := range 99 {
		zones[fmt.Sprintf("zone%d.example.", i)] = o
	}
	zones[zoneName] = o
	s := newTestStubzones(realClock{}, zones)
	s.Next = plugin.HandlerFunc(func(context.Context, dns.ResponseWriter, *dns.Msg) (int, error) { return dns.RcodeSuccess, nil })
	d := testData(b, s.clock.Now())
	for _, z := range s.order {
		z.data.Store(d)
	}
	return s
}

type discard struct{ test.ResponseWriter }

func (discard) WriteMsg(*dns.Msg) error { return nil }

// Names outside every stub zone: the cost stubzones adds to the rest of
// the server's traffic.
func BenchmarkServeDNSOutside(b *testing.B) {
	s := benchStubzones(b)
	m := query("www.example.net.", dns.TypeA, true)
	w := &discard{}
	b.ReportAllocs()
	for b.Loop() {
		s.ServeDNS(context.Background(), w, m)
	}
}

// RD=0: the referral from the stub data.
func BenchmarkServeDNSReferral(b *testing.B) {
	s := benchStubzones(b)
	m := query("www.example.org.", dns.TypeA, false)
	w := &discard{}
	b.ReportAllocs()
	for b.Loop() {
		s.ServeDNS(context.Background(), w, m)
	}
}

// RD=1: one iterative query to a name server on loopback (CoreDNS's file
// plugin) per client query; the network round trip dominates.
func BenchmarkServeDNSResolve(b *testing.B) {
	srv := startServer(b, "127.0.0.1", 0, authServer(b, map[string]string{zoneName: exampleZone}))
	o := testOptions(srv.Addr)
	o.port = uint16(srv.Port)
	s := newTestStubzones(realClock{}, map[string]*options{zoneName: o})
	d := testData(b, s.clock.Now())
	s.zones[zoneName].data.Store(d)
	m := query("www.example.org.", dns.TypeA, true)
	w := &discard{}
	b.ReportAllocs()
	for b.Loop() {
		s.ServeDNS(context.Background(), w, m)
	}
}

// Reading one name server's reply.
func BenchmarkClassify(b *testing.B) {
	r := &dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Answer: rrs(
		"alias.example.org. 300 IN CNAME www.example.org.",
		"www.example.org. 300 IN A 192.0.2.80")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := classify(r, zoneName, "alias.example.org.", dns.TypeA, false, 53); err != nil {
			b.Fatal(err)
		}
	}
}
