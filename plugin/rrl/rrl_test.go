package rrl

import (
	"context"
	"net"
	"testing"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

func TestClassify(t *testing.T) {
	soa := test.SOA("example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300")
	for _, tc := range []struct {
		name  string
		m     *dns.Msg
		class class
		acct  string
	}{
		{"answer", &dns.Msg{Answer: []dns.RR{test.A("www.example.org. 300 IN A 192.0.2.1")}}, classResponse, "www.example.org."},
		{"nxdomain", &dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeNameError, Authoritative: true}, Ns: []dns.RR{soa}}, classNxdomain, "example.org."},
		{"nxdomain without soa", &dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeNameError}}, classNxdomain, "zone.test."},
		{"nodata", &dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Ns: []dns.RR{soa}}, classNodata, "x.www.example.org."},
		{"referral", &dns.Msg{Ns: []dns.RR{test.NS("sub.example.org. 300 IN NS ns.sub.example.org.")}}, classReferral, "sub.example.org."},
		{"refused", &dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeRefused}}, classError, ""},
		{"servfail", &dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeServerFailure}}, classError, ""},
	} {
		tc.m.Question = []dns.Question{{Name: "x.www.example.org.", Qtype: dns.TypeA, Qclass: dns.ClassINET}}
		if tc.acct == "www.example.org." {
			tc.m.Question[0].Name = tc.acct
		}
		q := classify(tc.m, "zone.test.")
		if q.class != tc.class || q.name != tc.acct {
			t.Errorf("%s: class %v name %q, want %v %q", tc.name, q.class, q.name, tc.class, tc.acct)
		}
	}
}

// TestServerErrorsLimited: an rcode the server would write itself (the
// plugin below returns SERVFAIL without writing) is written and accounted
// by rrl, as BIND limits errors; TCP is never limited.
func TestServerErrorsLimited(t *testing.T) {
	s := defaultSettings()
	s.rates[classError] = 2
	s.slip = 0
	h := &RRL{zones: []string{"."}, lim: newLimiter(s, nil), now: func() int64 { return 1000 },
		Next: test.HandlerFunc(func(context.Context, dns.ResponseWriter, *dns.Msg) (int, error) {
			return dns.RcodeServerFailure, nil
		})}
	written := 0
	for range 5 {
		w := &countWriter{ResponseWriter: &test.ResponseWriter{}}
		rc, _ := h.ServeDNS(context.Background(), w, new(dns.Msg).SetQuestion("example.org.", dns.TypeA))
		if rc != dns.RcodeSuccess {
			t.Fatalf("rc %d: the server would write another reply", rc)
		}
		written += w.n
	}
	if written != 2 {
		t.Errorf("%d SERVFAIL written of 5, want errors-per-second 2", written)
	}
	w := &countWriter{ResponseWriter: &test.ResponseWriter{TCP: true}}
	if rc, _ := h.ServeDNS(context.Background(), w, new(dns.Msg).SetQuestion("example.org.", dns.TypeA)); rc != dns.RcodeServerFailure || w.n != 0 {
		t.Errorf("TCP: rc %d, %d written; want SERVFAIL left to the server", rc, w.n)
	}
}

type countWriter struct {
	dns.ResponseWriter
	n int
}

func (w *countWriter) WriteMsg(m *dns.Msg) error { w.n++; return nil }

// BenchmarkServeDNS is the plugin's whole per-query cost in front of an
// answering plugin (whose reply costs what BenchmarkNext shows), for a
// client under its limit.
func BenchmarkServeDNS(b *testing.B) {
	s := defaultSettings()
	s.rates[classResponse] = maxRate
	s.window = 1
	h := &RRL{zones: []string{"."}, lim: newLimiter(s, nil), now: func() int64 { return 1000 },
		Next: test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
			m := new(dns.Msg)
			m.SetReply(r)
			w.WriteMsg(m)
			return dns.RcodeSuccess, nil
		})}
	var n int64
	h.now = func() int64 { n++; return 1000 + n/500 } // 500 a second: under the limit
	r := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
	w := &addrWriter{ResponseWriter: &test.ResponseWriter{}}
	w.addr = w.ResponseWriter.RemoteAddr()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.ServeDNS(ctx, w, r)
	}
}

// addrWriter returns one remote address, as the server's writers do
// (test.ResponseWriter makes a new one each call).
type addrWriter struct {
	dns.ResponseWriter
	addr net.Addr
}

func (w *addrWriter) RemoteAddr() net.Addr { return w.addr }

// BenchmarkNext is the answering plugin of BenchmarkServeDNS alone.
func BenchmarkNext(b *testing.B) {
	next := test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		m := new(dns.Msg)
		m.SetReply(r)
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	})
	r := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
	w := &addrWriter{ResponseWriter: &test.ResponseWriter{}}
	w.addr = w.ResponseWriter.RemoteAddr()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		next.ServeDNS(ctx, w, r)
	}
}
