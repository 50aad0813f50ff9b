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

// BenchmarkServeDNS is the query path's cost (the writer runs alongside).
// Of its two allocations, one is querylog's response writer and one the
// wrapper plugin.NextOrFailure makes for every plugin that calls the next.
func BenchmarkServeDNS(b *testing.B) {
	for _, bc := range []struct{ name, corefile string }{
		{"stats", "querylog {\noutput file LOG\nstats\n}"},
		{"nostats", "querylog {\noutput file LOG\n}"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h, _ := newTestHandler(b, bc.corefile, noReply)
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
