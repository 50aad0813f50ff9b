package stubzones

import (
	"context"
	"fmt"
	"testing"

	"github.com/corebind/corebind/internal/testkit"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/file"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"

	"github.com/corebind/corebind/plugin/pkg/client"
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

// benchDelegations is delegations in front of file holding delegParent.
func benchDelegations(b *testing.B) (*Delegations, file.File) {
	b.Helper()
	f := testkit.FileZones(b, map[string]string{"example.org.": delegParent})
	d := newDelegations([]string{"example.org."}, &options{maxDepth: defaultMaxDepth, port: 53}, false)
	d.Next = f
	return d, f
}

// What delegations costs an allowed client's RD=1 query for the zone's own
// data (the reply goes through its writer), against file alone.
func BenchmarkDelegationsOwnData(b *testing.B) {
	d, f := benchDelegations(b)
	m := query("www.example.org.", dns.TypeA, true)
	ctx := client.WithRecursion(context.Background(), true)
	for _, h := range []plugin.Handler{f, d} {
		b.Run(h.Name(), func(b *testing.B) {
			w := &discard{}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeDNS(ctx, w, m)
			}
		})
	}
}
