package chaosmask

import (
	"context"
	"net"
	"testing"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// nopWriter discards what is written and, like miekg/dns's own writer,
// returns a client address without allocating, so the benchmarks measure
// chaosmask alone.
type nopWriter struct{ test.ResponseWriter }

var benchClient = &net.UDPAddr{IP: net.ParseIP("192.0.2.1"), Port: 40212}

func (nopWriter) WriteMsg(*dns.Msg) error { return nil }
func (nopWriter) RemoteAddr() net.Addr    { return benchClient }

func benchServe(b *testing.B, corefile string, r *dns.Msg) {
	next := test.NextHandler(dns.RcodeSuccess, nil)
	cm := newHandler(b, corefile, next)
	cm.othersOpen = func() bool { return true }
	w := &nopWriter{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		cm.ServeDNS(ctx, w, r)
	}
}

// BenchmarkPassOn is the baseline: what handing a query to the next plugin
// costs without chaosmask.
func BenchmarkPassOn(b *testing.B) {
	next := test.NextHandler(dns.RcodeSuccess, nil)
	r := new(dns.Msg).SetQuestion("example.org.", dns.TypeA)
	w := &nopWriter{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		plugin.NextOrFailure("bench", next, ctx, w, r)
	}
}

func BenchmarkIN(b *testing.B) {
	benchServe(b, "chaosmask {\nreveal 127.0.0.1\n}", new(dns.Msg).SetQuestion("example.org.", dns.TypeA))
}

func BenchmarkINWithEDNS(b *testing.B) {
	benchServe(b, "chaosmask {\nreveal 127.0.0.1\n}", nsidQuery(dns.ClassINET, false))
}

// BenchmarkINAskingNSID is the one IN query that costs more: an unrevealed
// client asking for NSID gets a scrubbing writer.
func BenchmarkINAskingNSID(b *testing.B) {
	benchServe(b, "chaosmask {\nreveal 127.0.0.1\n}", nsidQuery(dns.ClassINET, true))
}

func BenchmarkCHText(b *testing.B) {
	r := new(dns.Msg).SetQuestion("Version.Bind.", dns.TypeTXT)
	r.Question[0].Qclass = dns.ClassCHAOS
	benchServe(b, "chaosmask {\nversion masked\nreveal 127.0.0.1\n}", r)
}

func BenchmarkCHRefuseEDNS(b *testing.B) {
	r := new(dns.Msg).SetQuestion("example.org.", dns.TypeTXT)
	r.Question[0].Qclass = dns.ClassCHAOS
	r.SetEdns0(1232, false)
	benchServe(b, "chaosmask {\nreveal 127.0.0.1\n}", r)
}
