package chaosmask

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"testing"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/nsid"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// upstreamNSID answers like a forwarded upstream that was asked for NSID:
// its reply carries the upstream's own identifier.
var upstreamNSID = test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Answer = []dns.RR{test.A("example.org. 300 IN A 192.0.2.1")}
	if r.IsEdns0() != nil {
		m.SetEdns0(1232, false)
		o := m.IsEdns0()
		o.Option = append(o.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
		if hasNSID(r) {
			o.Option = append(o.Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: hex.EncodeToString([]byte("upstream-id"))})
		}
	}
	w.WriteMsg(m)
	return dns.RcodeSuccess, nil
})

// nsidOf returns the NSID in m decoded, and whether there was one.
func nsidOf(m *dns.Msg) (string, bool) {
	if o := m.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if n, ok := e.(*dns.EDNS0_NSID); ok {
				b, _ := hex.DecodeString(n.Nsid)
				return string(b), true
			}
		}
	}
	return "", false
}

func nsidQuery(qclass uint16, askNSID bool) *dns.Msg {
	r := new(dns.Msg)
	r.SetQuestion("example.org.", dns.TypeA)
	r.Question[0].Qclass = qclass
	r.SetEdns0(1232, false)
	if askNSID {
		r.IsEdns0().Option = append(r.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
	}
	return r
}

func TestNSID(t *testing.T) {
	for _, tc := range []struct {
		name     string
		corefile string
		remote   string
		withNSID bool // the nsid plugin follows chaosmask
		want     string
	}{
		{"hide: nsid plugin's identifier removed", "chaosmask", "192.0.2.1", true, ""},
		{"hide: upstream's identifier removed", "chaosmask", "192.0.2.1", false, ""},
		{"hide, revealed client: nsid plugin's identifier", "chaosmask {\nreveal 127.0.0.5\n}", "127.0.0.5", true, "nsid-secret"},
		{"hide, revealed client: upstream's identifier", "chaosmask {\nreveal 127.0.0.5\n}", "127.0.0.5", false, "upstream-id"},
		{"pass: nsid plugin's identifier", "chaosmask {\nnsid pass\n}", "192.0.2.1", true, "nsid-secret"},
		{"pass: upstream's identifier", "chaosmask {\nnsid pass\n}", "192.0.2.1", false, "upstream-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var next test.Handler = upstreamNSID
			if tc.withNSID {
				next = nsid.Nsid{Next: upstreamNSID, Data: "nsid-secret"}
			}
			cm := newHandler(t, tc.corefile, next)
			rec := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: tc.remote})
			cm.ServeDNS(context.Background(), rec, nsidQuery(dns.ClassINET, true))
			got, ok := nsidOf(rec.Msg)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("NSID %q (present %v), want %q", got, ok, tc.want)
			}
			if len(rec.Msg.Answer) != 1 {
				t.Errorf("answer %v lost", rec.Msg.Answer)
			}
			// Other options survive.
			if o := rec.Msg.IsEdns0(); o == nil || len(o.Option) == 0 || o.Option[0].Option() != dns.EDNS0COOKIE {
				t.Errorf("cookie option lost: %v", rec.Msg.IsEdns0())
			}
		})
	}
}

func TestNSIDOnCHAnswer(t *testing.T) {
	cm := newHandler(t, "chaosmask {\nversion v\n}", nsid.Nsid{Next: upstreamNSID, Data: "nsid-secret"})
	r := nsidQuery(dns.ClassCHAOS, true)
	r.Question[0] = dns.Question{Name: "version.bind.", Qtype: dns.TypeTXT, Qclass: dns.ClassCHAOS}
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	cm.ServeDNS(context.Background(), rec, r)
	if _, ok := nsidOf(rec.Msg); ok {
		t.Errorf("NSID in chaosmask's own CH answer: %v", rec.Msg.IsEdns0())
	}
}

// TestINCostsNothing checks the cheap path: a query that does not ask for
// NSID costs no allocation beyond what passing it on costs anyway.
func TestINCostsNothing(t *testing.T) {
	next := test.NextHandler(dns.RcodeSuccess, nil)
	cm := newHandler(t, "chaosmask {\nreveal 127.0.0.1\n}", next)
	w := &test.ResponseWriter{}
	ctx := context.Background()
	for _, r := range []*dns.Msg{nsidQuery(dns.ClassINET, false), new(dns.Msg).SetQuestion("example.org.", dns.TypeA)} {
		direct := testing.AllocsPerRun(100, func() { plugin.NextOrFailure("x", next, ctx, w, r) })
		masked := testing.AllocsPerRun(100, func() { cm.ServeDNS(ctx, w, r) })
		if masked != direct {
			t.Errorf("EDNS %v: %v allocations through chaosmask, %v passing on directly", r.IsEdns0() != nil, masked, direct)
		}
	}
}

func TestNSIDHiderWrite(t *testing.T) {
	resp := new(dns.Msg)
	resp.SetQuestion("example.org.", dns.TypeA)
	resp.Response = true
	resp.SetEdns0(1232, false)
	resp.IsEdns0().Option = []dns.EDNS0{
		&dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: "6964"},
		&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"},
	}
	wire, err := resp.Pack()
	if err != nil {
		t.Fatal(err)
	}
	rw := &wireWriter{}
	h := &nsidHider{dnsreply.Writer{ResponseWriter: rw}}
	n, err := h.Write(wire)
	if err != nil || n != len(wire) {
		t.Fatalf("Write: %d, %v; want %d, nil", n, err, len(wire))
	}
	out := new(dns.Msg)
	if err := out.Unpack(rw.b); err != nil {
		t.Fatal(err)
	}
	if _, ok := nsidOf(out); ok {
		t.Error("NSID written through Write")
	}
	if o := out.IsEdns0(); o == nil || len(o.Option) != 1 || o.Option[0].Option() != dns.EDNS0COOKIE {
		t.Errorf("options %v, want the cookie alone", out.IsEdns0())
	}

	// Unparseable bytes go out unchanged.
	rw.b = nil
	if _, err := h.Write([]byte{1, 2, 3}); err != nil || string(rw.b) != "\x01\x02\x03" {
		t.Errorf("garbage: wrote %v, %v", rw.b, err)
	}
}

type wireWriter struct {
	test.ResponseWriter
	b []byte
}

func (w *wireWriter) Write(b []byte) (int, error) { w.b = append(w.b, b...); return len(b), nil }

func (w *wireWriter) ConnectionState() *tls.ConnectionState {
	return &tls.ConnectionState{ServerName: "dns.example"}
}

func TestNSIDHiderConnectionState(t *testing.T) {
	if cs := (&nsidHider{dnsreply.Writer{ResponseWriter: &wireWriter{}}}).ConnectionState(); cs == nil || cs.ServerName != "dns.example" {
		t.Errorf("TLS state not passed through: %v", cs)
	}
	if cs := (&nsidHider{dnsreply.Writer{ResponseWriter: &test.ResponseWriter{}}}).ConnectionState(); cs != nil {
		t.Errorf("TLS state %v from a writer without one", cs)
	}
}

func TestStripNSIDLeavesSharedOptionsAlone(t *testing.T) {
	shared := []dns.EDNS0{
		&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"},
		&dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: "6964"},
	}
	m := new(dns.Msg)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = shared
	stripNSID(m)
	if len(m.IsEdns0().Option) != 1 {
		t.Errorf("options after strip: %v", m.IsEdns0().Option)
	}
	if shared[1].Option() != dns.EDNS0NSID {
		t.Error("the shared option slice was edited in place")
	}
}
