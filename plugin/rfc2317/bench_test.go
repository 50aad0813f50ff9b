package rfc2317

import (
	"context"
	"testing"

	"github.com/corebind/corebind/internal/testkit"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

func BenchmarkClassify(b *testing.B) {
	h := newHandler(b, parentBlock, nil, testkit.FileZones(b, nil))
	for _, name := range []string{"3.2.0.192.in-addr.arpa.", "3.0/29.2.0.192.in-addr.arpa.", "10.2.0.192.in-addr.arpa.", "www.example.org."} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.table.classify(name)
			}
		})
	}
}

// BenchmarkServeDNS measures rfc2317's own work on each path; the next
// plugin, where there is one, is a stub that writes an empty reply.
func BenchmarkServeDNS(b *testing.B) {
	stub := test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		m := new(dns.Msg)
		m.SetReply(r)
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	})
	h := newHandler(b, "rfc2317 {\n delegate 192.0.2.0/29 ns1.customer.example. ns2.customer.example.\n child 192.0.2.8/29\n}", nil, testkit.FileZones(b, nil))
	h.Next = stub
	for _, tc := range []struct{ name, qname string }{
		{"cname", "3.2.0.192.in-addr.arpa."},
		{"referral", "3.0/29.2.0.192.in-addr.arpa."},
		{"child", "9.2.0.192.in-addr.arpa."},
		{"passthrough", "20.2.0.192.in-addr.arpa."},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := new(dns.Msg).SetQuestion(tc.qname, dns.TypePTR)
			w := &test.ResponseWriter{}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeDNS(ctx, w, r)
			}
		})
	}
	b.Run("next alone", func(b *testing.B) {
		r := new(dns.Msg).SetQuestion("20.2.0.192.in-addr.arpa.", dns.TypePTR)
		w := &test.ResponseWriter{}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			stub.ServeDNS(ctx, w, r)
		}
	})
}
