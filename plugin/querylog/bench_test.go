package querylog

import (
	"context"
	"net"
	"testing"

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

func BenchmarkServeDNS(b *testing.B) {
	h, _ := newTestHandler(b, "querylog {\noutput file LOG\nstats\n}", noReply)
	w := newFixedWriter()
	m := query("www.example.org.", dns.TypeA, withEDNS(false), withCookie)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeDNS(ctx, w, m)
	}
}
