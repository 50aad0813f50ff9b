package stubzones

import (
	"context"
	"net"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const zoneName = "example.org."

func fetchOnce(t *testing.T, cur *stubData, primaries ...string) (*stubData, bool, error) {
	t.Helper()
	o := testOptions(primaries...)
	s := newTestStubzones(newFakeClock(), map[string]*options{zoneName: o})
	return s.fetch(context.Background(), s.zones[zoneName], cur)
}

// mustFetch is fetchOnce with no data yet, failing the test on an error.
func mustFetch(t *testing.T, primaries ...string) *stubData {
	t.Helper()
	d, _, err := fetchOnce(t, nil, primaries...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func glueStrings(d *stubData) []string {
	var out []string
	for _, rr := range d.glue {
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	sort.Strings(out)
	return out
}

func nsNames(d *stubData) []string {
	var out []string
	for _, rr := range d.ns {
		out = append(out, rr.(*dns.NS).Ns)
	}
	sort.Strings(out)
	return out
}

func TestFetchFromBIND9LikePrimary(t *testing.T) {
	t.Parallel()
	p := startServer(t, "127.0.0.1", 0, authServer(t, map[string]string{zoneName: exampleZone}))
	d, changed, err := fetchOnce(t, nil, p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !changed || d.soa.Serial != 7 || d.primary != p.Addr {
		t.Errorf("changed %v, serial %d, primary %s", changed, d.soa.Serial, d.primary)
	}
	if got, want := nsNames(d), []string{"ns.outside.test.", "ns1.example.org.", "ns2.example.org."}; !slices.Equal(got, want) {
		t.Errorf("NS %v, want %v", got, want)
	}
	want := []string{"ns1.example.org. 300 IN A 127.0.0.1", "ns1.example.org. 300 IN AAAA ::1", "ns2.example.org. 300 IN A 127.0.0.2"}
	if got := glueStrings(d); !slices.Equal(got, want) {
		t.Errorf("glue %v, want %v", got, want)
	}
	if got := p.questions(); !slices.Equal(got, []string{"example.org. SOA", "example.org. NS"}) {
		t.Errorf("asked %v", got)
	}
	// SOA 7 60 10 600 with refresh-min 1s: refresh 60s, retry 10s, expire 600s.
	if d.refresh != time.Minute || d.retry != 10*time.Second || d.expires.Sub(d.fetched) != 10*time.Minute {
		t.Errorf("timers refresh %s retry %s expire %s", d.refresh, d.retry, d.expires.Sub(d.fetched))
	}
}

func TestFetchRejectsLyingPrimaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		lie     func(r, m *dns.Msg)
		errText string
	}{
		{"non-AA answer", func(_, m *dns.Msg) { m.Authoritative = false }, "not authoritative"},
		{"CNAME at the apex", func(r, m *dns.Msg) {
			m.Answer = []dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: zoneName, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: "elsewhere.test."}}
		}, "CNAME in the answer"},
		{"no NS", func(r, m *dns.Msg) {
			if r.Question[0].Qtype == dns.TypeNS {
				m.Answer = nil
			}
		}, "no NS"},
		{"records of another zone", func(r, m *dns.Msg) {
			for i, rr := range m.Answer {
				rr = dns.Copy(rr)
				rr.Header().Name = "other.test."
				m.Answer[i] = rr
			}
		}, "no SOA"},
		{"REFUSED", func(_, m *dns.Msg) { m.Rcode = dns.RcodeRefused; m.Answer = nil }, "rcode REFUSED"},
		{"another question", func(_, m *dns.Msg) { m.Question[0].Name = "other.test." }, "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startServer(t, "127.0.0.1", 0, lie(authServer(t, map[string]string{zoneName: exampleZone}), tc.lie))
			d, _, err := fetchOnce(t, nil, p.Addr)
			if err == nil || !strings.Contains(err.Error(), tc.errText) {
				t.Fatalf("got data %v, error %v; want an error with %q", d, err, tc.errText)
			}
		})
	}
}

func TestFetchTruncatedAndTCPFails(t *testing.T) {
	t.Parallel()
	p := startServer(t, "127.0.0.1", 0, func(w dns.ResponseWriter, r *dns.Msg) {
		if w.RemoteAddr().Network() == "tcp" {
			w.Close()
			return
		}
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative, m.Truncated = true, true
		w.WriteMsg(m)
	})
	if _, _, err := fetchOnce(t, nil, p.Addr); err == nil || !strings.Contains(err.Error(), "tcp") {
		t.Fatalf("error %v, want a TCP failure", err)
	}
}

func TestFetchNoAnswer(t *testing.T) {
	t.Parallel()
	p := startServer(t, "127.0.0.1", 0, silent)
	if _, _, err := fetchOnce(t, nil, p.Addr); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("error %v, want a timeout", err)
	}
	// BIND retries a silent primary without EDNS before giving up.
	if got := p.questions(); len(got) != 2 {
		t.Errorf("asked %v, want the SOA query twice (with and without EDNS)", got)
	}
}

// A reply from an address other than the one asked never reaches us: the
// UDP socket is connected.
func TestFetchIgnoresAnswerFromElsewhere(t *testing.T) {
	t.Parallel()
	good := authServer(t, map[string]string{zoneName: exampleZone})
	p := startServer(t, "127.0.0.1", 0, func(w dns.ResponseWriter, r *dns.Msg) {
		if w.RemoteAddr().Network() != "udp" {
			return
		}
		rec := &capture{ResponseWriter: w}
		good(rec, r)
		other, err := net.ListenPacket("udp", "127.0.0.3:0")
		if err != nil {
			return
		}
		defer other.Close()
		b, _ := rec.m.Pack()
		other.WriteTo(b, w.RemoteAddr())
	})
	if _, _, err := fetchOnce(t, nil, p.Addr); err == nil {
		t.Fatal("accepted an answer sent from another address")
	}
}

type capture struct {
	dns.ResponseWriter
	m *dns.Msg
}

func (c *capture) WriteMsg(m *dns.Msg) error { c.m = m; return nil }

func TestFetchTruncatedUsesTCP(t *testing.T) {
	t.Parallel()
	good := authServer(t, map[string]string{zoneName: exampleZone})
	p := startServer(t, "127.0.0.1", 0, func(w dns.ResponseWriter, r *dns.Msg) {
		if w.RemoteAddr().Network() == "udp" {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Authoritative, m.Truncated = true, true
			w.WriteMsg(m)
			return
		}
		good(w, r)
	})
	d := mustFetch(t, p.Addr)
	if d.soa.Serial != 7 || p.tcpQueries() != 2 {
		t.Errorf("serial %d after %d TCP queries; want 7 after 2", d.soa.Serial, p.tcpQueries())
	}
}

func TestFetchWithoutEDNSAfterFormerr(t *testing.T) {
	t.Parallel()
	good := authServer(t, map[string]string{zoneName: exampleZone})
	p := startServer(t, "127.0.0.1", 0, func(w dns.ResponseWriter, r *dns.Msg) {
		if r.IsEdns0() != nil {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeFormatError)
			w.WriteMsg(m)
			return
		}
		good(w, r)
	})
	d := mustFetch(t, p.Addr)
	if d.soa.Serial != 7 {
		t.Errorf("serial %d", d.soa.Serial)
	}
}

func TestFetchTriesNextPrimary(t *testing.T) {
	t.Parallel()
	bad := startServer(t, "127.0.0.1", 0, lie(authServer(t, map[string]string{zoneName: exampleZone}), func(_, m *dns.Msg) { m.Authoritative = false }))
	good := startServer(t, "127.0.0.1", 0, authServer(t, map[string]string{zoneName: exampleZone}))
	d := mustFetch(t, bad.Addr, good.Addr)
	if d.primary != good.Addr {
		t.Errorf("primary %s, want %s", d.primary, good.Addr)
	}
}

func TestFetchKeepsOnlyInZoneGlue(t *testing.T) {
	t.Parallel()
	good := authServer(t, map[string]string{zoneName: exampleZone})
	p := startServer(t, "127.0.0.1", 0, lie(good, func(r, m *dns.Msg) {
		if r.Question[0].Qtype != dns.TypeNS {
			return
		}
		for _, s := range []string{
			"ns.outside.test. 300 IN A 203.0.113.66",  // out of zone: never glue
			"evil.example.org. 300 IN A 203.0.113.67", // in zone, not a name server
			"ns1.example.org. 300 IN TXT \"not an address\"",
		} {
			rr, _ := dns.NewRR(s)
			m.Extra = append(m.Extra, rr)
		}
	}))
	d := mustFetch(t, p.Addr)
	for _, g := range glueStrings(d) {
		if strings.Contains(g, "203.0.113") || strings.Contains(g, "TXT") {
			t.Errorf("kept %q", g)
		}
	}
	if len(d.glue) != 3 {
		t.Errorf("glue %v", glueStrings(d))
	}
}

func TestFetchAsksForMissingGlue(t *testing.T) {
	t.Parallel()
	good := authServer(t, map[string]string{zoneName: exampleZone})
	p := startServer(t, "127.0.0.1", 0, lie(good, func(r, m *dns.Msg) {
		if r.Question[0].Qtype == dns.TypeNS {
			m.Extra = nil
		}
	}))
	d := mustFetch(t, p.Addr)
	if len(d.glue) != 3 {
		t.Errorf("glue %v", glueStrings(d))
	}
	asked := p.questions()
	for _, q := range []string{"ns1.example.org. A", "ns1.example.org. AAAA", "ns2.example.org. A", "ns2.example.org. AAAA"} {
		if !slices.Contains(asked, q) {
			t.Errorf("did not ask %s: %v", q, asked)
		}
	}
	if slices.Contains(asked, "ns.outside.test. A") {
		t.Errorf("asked the primary for an out-of-zone name server: %v", asked)
	}
}

func TestFetchSerialNotNewer(t *testing.T) {
	t.Parallel()
	p := startServer(t, "127.0.0.1", 0, authServer(t, map[string]string{zoneName: exampleZone}))
	cur := mustFetch(t, p.Addr)
	p.questions()
	for _, serial := range []uint32{7, 8, 0xFFFFFFF0} { // equal, higher (RFC 1982: ours is newer), far lower
		c := *cur
		soa := *cur.soa
		soa.Serial = serial
		c.soa = &soa
		d, changed, err := fetchOnce(t, &c, p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		wantChanged := serial == 0xFFFFFFF0 // 7 is after 0xFFFFFFF0 in serial arithmetic
		if changed != wantChanged {
			t.Errorf("ours %d, primary 7: changed %v, want %v", serial, changed, wantChanged)
		}
		if got := p.questions(); !wantChanged && !slices.Equal(got, []string{"example.org. SOA"}) {
			t.Errorf("ours %d: asked %v, want only the SOA", serial, got)
		}
		if !changed && d.soa.Serial != serial {
			t.Errorf("unchanged data has serial %d, want %d", d.soa.Serial, serial)
		}
	}
}

func TestFetchTSIG(t *testing.T) {
	t.Parallel()
	const keyName, secret = "stub-key.", "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
	good := authServer(t, map[string]string{zoneName: exampleZone})
	var unsigned atomic.Bool
	p := startServer(t, "127.0.0.1", 0, func(w dns.ResponseWriter, r *dns.Msg) {
		if r.IsTsig() == nil || w.TsigStatus() != nil {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeRefused)
			w.WriteMsg(m)
			return
		}
		lie(good, func(r, m *dns.Msg) {
			if !unsigned.Load() {
				m.SetTsig(keyName, dns.HmacSHA256, 300, time.Now().Unix())
			}
		})(w, r)
	}, map[string]string{keyName: secret})

	o := testOptions(p.Addr)
	o.tsig = &tsigKey{name: keyName, algorithm: dns.HmacSHA256, secret: secret}
	s := newTestStubzones(newFakeClock(), map[string]*options{zoneName: o})
	if _, _, err := s.fetch(context.Background(), s.zones[zoneName], nil); err != nil {
		t.Fatalf("signed refresh: %v", err)
	}
	unsigned.Store(true)
	if _, _, err := s.fetch(context.Background(), s.zones[zoneName], nil); err == nil || !strings.Contains(err.Error(), "unsigned reply") {
		t.Fatalf("unsigned reply to a signed query: error %v", err)
	}
	o.tsig.secret = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="
	if _, _, err := s.fetch(context.Background(), s.zones[zoneName], nil); err == nil {
		t.Fatal("refresh with the wrong secret succeeded")
	}
}

func TestSerialGreater(t *testing.T) {
	for _, tc := range []struct {
		a, b uint32
		want bool
	}{
		{2, 1, true}, {1, 2, false}, {1, 1, false},
		{0, 0xFFFFFFFF, true}, {0xFFFFFFFF, 0, false},
		{0x7FFFFFFF, 0, true}, {0x80000001, 0, false},
	} {
		if got := serialGreater(tc.a, tc.b); got != tc.want {
			t.Errorf("serialGreater(%d, %d) = %v", tc.a, tc.b, got)
		}
	}
}
