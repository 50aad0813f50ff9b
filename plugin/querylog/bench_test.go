package querylog

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/corebind/corebind/plugin/pkg/logsink"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// noReply answers nothing and allocates nothing, so the benchmarks measure
// querylog alone.
var noReply = test.HandlerFunc(func(context.Context, dns.ResponseWriter, *dns.Msg) (int, error) {
	return dns.RcodeSuccess, nil
})

// fixedWriter is a ResponseWriter whose addresses do not allocate, unlike
// test.ResponseWriter's, and that discards what is written.
type fixedWriter struct {
	test.ResponseWriter
	local, remote net.Addr
}

func (w *fixedWriter) LocalAddr() net.Addr  { return w.local }
func (w *fixedWriter) RemoteAddr() net.Addr { return w.remote }

func newFixedWriter() *fixedWriter {
	return &fixedWriter{
		local:  &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53},
		remote: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 40212},
	}
}

// staticReply writes the same prebuilt reply (an A record, compressed, with
// EDNS) every time, without allocating.
func staticReply() test.HandlerFunc {
	m := query("www.example.org.", dns.TypeA, withEDNS(false))
	m.Response, m.Authoritative, m.Compress = true, true, true
	m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "www.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.IPv4(192, 0, 2, 1)}}
	return func(_ context.Context, w dns.ResponseWriter, _ *dns.Msg) (int, error) {
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
}

// BenchmarkServeDNS is the query path's cost (the writer runs alongside,
// on the other core). Of its two allocations, one is querylog's response
// writer and one the wrapper plugin.NextOrFailure makes for every plugin
// that calls the next; "passthrough" is a query querylog does not log.
func BenchmarkServeDNS(b *testing.B) {
	for _, bc := range []struct{ name, corefile string }{
		{"stats", "querylog {\noutput file LOG\nstats\n}"},
		{"nostats", "querylog {\noutput file LOG\n}"},
		{"passthrough", "querylog {\noutput file LOG\nclients none\n}"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h, _ := newTestHandler(b, bc.corefile, staticReply())
			w := newFixedWriter()
			m := query("www.example.org.", dns.TypeA, withEDNS(false), withCookie)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeDNS(ctx, w, m)
			}
		})
	}
}

// BenchmarkFormat is the writer's cost per record.
func BenchmarkFormat(b *testing.B) {
	rec := record{
		time: time.Now().UnixNano(), id: 42, client: netip.MustParseAddrPort("127.0.0.2:40212"),
		local: netip.MustParseAddrPort("127.0.0.1:53"), qname: "www.example.org.", server: "dns://127.0.0.1:53",
		qtype: dns.TypeA, qclass: dns.ClassINET, flags: 0x45, responded: true, answers: 1, additional: 1, size: 60,
	}
	for _, f := range []string{"bind", "json"} {
		b.Run(f, func(b *testing.B) {
			h, _ := newTestHandler(b, "querylog {\noutput file LOG\nformat "+f+"\n}", noReply)
			l := h.loggers[0]
			e, err := logsink.NewEmitter(l.output, l.format == formatBIND)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				l.formatRecord(e, &rec)
				e.Reset()
			}
		})
	}
}

// BenchmarkServeDNSGoroutine runs every query on a goroutine of its own, as
// the server does for each UDP message, below a stack as deep as CoreDNS's
// (a few frames of server and plugins), so that what the query path costs
// in goroutine stack growth shows.
//
// It decided issue 15's question about querylog's stack-size tricks (the
// //go:noinline splits of ServeDNS, wirelen and stats, and measuring the
// reply after the chain returned): with and without them, alternating,
// 2026-12-03 on this 2-core machine under load 12-15, this benchmark ranged
// 3.4-18 µs (one outlier 39 µs) for both and BenchmarkServeDNS 1.0-4.0 µs
// for both: no difference to tell, let alone 1% of a whole-server query
// (~17-20 µs), so they were removed. go build -gcflags=-m shows the
// compiler would not inline begin, end or the reply measure anyway; only
// stats.lookupFolded (a 256-byte buffer) now inlines. Rerun on a quiet
// machine, with ./build.sh bench, before bringing any of them back.
func BenchmarkServeDNSGoroutine(b *testing.B) {
	h, _ := newTestHandler(b, "querylog {\noutput file LOG\nstats\n}", staticReply())
	w := newFixedWriter()
	m := query("www.example.org.", dns.TypeA, withEDNS(false), withCookie)
	ctx := context.Background()
	done := make(chan struct{})
	b.ReportAllocs()
	for b.Loop() {
		go func() {
			deepCall(8, func() { h.ServeDNS(ctx, w, m) })
			done <- struct{}{}
		}()
		<-done
	}
}

// deepCall calls f n frames down, each frame holding some stack as the
// server's and other plugins' frames do.
//
//go:noinline
func deepCall(n int, f func()) {
	var pad [256]byte
	if n == 0 {
		f()
		return
	}
	deepCall(n-1, f)
	pad[n%len(pad)] = byte(n)
	_ = pad
}
