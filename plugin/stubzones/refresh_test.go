package stubzones

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

func withSerial(zone string, serial int) string {
	return strings.Replace(zone, "hostmaster 7 ", fmt.Sprintf("hostmaster %d ", serial), 1)
}

func refused(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetRcode(r, dns.RcodeRefused)
	w.WriteMsg(m)
}

// startLoop starts a Stubzones for example.org at primary p on clk and
// returns it once the first refresh is done, with the wait it scheduled.
func startLoop(t *testing.T, clk *fakeClock, o *options) (*Stubzones, time.Duration, int) {
	t.Helper()
	s := newTestStubzones(clk, map[string]*options{zoneName: o})
	s.Next = nextHandler()
	if err := s.OnStartup("dns://:53"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.OnShutdown() })
	wait, made := clk.waitTimer(t, 0)
	return s, wait, made
}

func serial(s *Stubzones) uint32 {
	if d := s.zones[zoneName].data.Load(); d != nil {
		return d.soa.Serial
	}
	return 0
}

// The refresh loop follows the SOA timers: refresh after success, retry
// after failure, expiry after expire without success, and recovery.
func TestRefreshTimers(t *testing.T) {
	p := startServer(t, "127.0.0.1", 0, authServer(t, map[string]string{zoneName: exampleZone}))
	clk := newFakeClock()
	s, wait, made := startLoop(t, clk, testOptions(p.Addr))
	if wait != time.Minute || serial(s) != 7 {
		t.Fatalf("after the first refresh: next in %s, serial %d; want 1m0s, 7", wait, serial(s))
	}
	updated := counterValue(refreshCount, "dns://:53", zoneName, "updated")

	// Serial bump: picked up at the next refresh.
	p.set(authServer(t, map[string]string{zoneName: withSerial(exampleZone, 8)}))
	clk.Advance(wait)
	if wait, made = clk.waitTimer(t, made); wait != time.Minute || serial(s) != 8 {
		t.Fatalf("after the serial bump: next in %s, serial %d; want 1m0s, 8", wait, serial(s))
	}
	if got := counterValue(refreshCount, "dns://:53", zoneName, "updated"); got != updated+1 {
		t.Errorf("refresh_total{result=updated} went from %v to %v", updated, got)
	}

	// The primary fails: retry every 10s, data served until 600s after the
	// last success, then SERVFAIL.
	p.set(refused)
	lastGood := clk.Now()
	clk.Advance(wait)
	for clk.Now().Sub(lastGood) < 600*time.Second {
		if s.zones[zoneName].usable(clk.Now()) == nil {
			t.Fatalf("data gone %s after the last refresh, before expire (600s)", clk.Now().Sub(lastGood))
		}
		if wait, made = clk.waitTimer(t, made); wait != 10*time.Second {
			t.Fatalf("retry in %s, want 10s", wait)
		}
		clk.Advance(wait)
	}
	if r := serve(t, s, query("www.example.org.", dns.TypeA, false)); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("after expire: %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	if counterValue(refreshCount, "dns://:53", zoneName, "failed") == 0 {
		t.Error("refresh_total{result=failed} not counted")
	}

	// The primary is back: the next retry loads the zone again.
	_, made = clk.waitTimer(t, made)
	p.set(authServer(t, map[string]string{zoneName: withSerial(exampleZone, 8)}))
	clk.Advance(10 * time.Second)
	if wait, _ = clk.waitTimer(t, made); wait != time.Minute {
		t.Errorf("after recovery: next in %s, want 1m0s", wait)
	}
	if r := serve(t, s, query("www.example.org.", dns.TypeA, false)); r.Rcode != dns.RcodeSuccess {
		t.Errorf("after recovery: %s", dns.RcodeToString[r.Rcode])
	}
}

// A zone that has never loaded retries from 5s, doubling up to refresh-min.
func TestRefreshBackoffWithoutData(t *testing.T) {
	p := startServer(t, "127.0.0.1", 0, refused)
	o := testOptions(p.Addr)
	o.refreshMin = time.Minute
	clk := newFakeClock()
	_, wait, made := startLoop(t, clk, o)
	var waits []time.Duration
	for range 6 {
		waits = append(waits, wait)
		clk.Advance(wait)
		wait, made = clk.waitTimer(t, made)
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

func TestRefreshTimersClamped(t *testing.T) {
	soa := &dns.SOA{Refresh: 1, Retry: 1, Expire: 1}
	o := &options{refreshMin: time.Minute, refreshMax: time.Hour}
	now := time.Now()
	refresh, retry, expires := timers(soa, o, now)
	if refresh != time.Minute || retry != time.Minute || expires.Sub(now) != 2*time.Minute {
		t.Errorf("low SOA timers: refresh %s retry %s expire %s", refresh, retry, expires.Sub(now))
	}
	soa = &dns.SOA{Refresh: 86400, Retry: 7200, Expire: 0xFFFFFFFF}
	refresh, retry, expires = timers(soa, o, now)
	if refresh != time.Hour || retry != time.Hour || expires.Sub(now) != maxExpire {
		t.Errorf("high SOA timers: refresh %s retry %s expire %s", refresh, retry, expires.Sub(now))
	}
}

func notifyMsg(name string, serial uint32) *dns.Msg {
	m := new(dns.Msg)
	m.SetNotify(name)
	if serial != 0 {
		m.Answer = rrs(name + " 0 IN SOA ns1.example.org. hostmaster.example.org. " + fmt.Sprint(serial) + " 60 10 600 30")
	}
	return m
}

func serveFrom(t *testing.T, s *Stubzones, ip string, m *dns.Msg) *dns.Msg {
	t.Helper()
	w := &recorder{ResponseWriter: &test.ResponseWriter{RemoteIP: ip}}
	s.ServeDNS(t.Context(), w, m)
	if w.msg == nil {
		t.Fatalf("no reply")
	}
	return w.msg
}

type recorder struct {
	*test.ResponseWriter
	msg     *dns.Msg
	tsigErr error
}

func (r *recorder) WriteMsg(m *dns.Msg) error { r.msg = m; return nil }
func (r *recorder) TsigStatus() error         { return r.tsigErr }

func TestNotify(t *testing.T) {
	o := testOptions("127.0.0.1:5300", "[::1]:5300")
	s := newTestStubzones(newFakeClock(), map[string]*options{zoneName: o})
	z := s.zones[zoneName]
	accepted := counterValue(notifyCount, "", zoneName, "accepted")
	refusedN := counterValue(notifyCount, "", zoneName, "refused")

	tests := []struct {
		name  string
		from  string
		msg   *dns.Msg
		tsig  error
		rcode int
		kick  bool
	}{
		{"from a primary", "127.0.0.1", notifyMsg(zoneName, 8), nil, dns.RcodeSuccess, true},
		{"from a primary over IPv6, no serial", "::1", notifyMsg(zoneName, 0), nil, dns.RcodeSuccess, true},
		{"from anyone else", "127.0.0.9", notifyMsg(zoneName, 8), nil, dns.RcodeRefused, false},
		{"for a name below the apex", "127.0.0.1", notifyMsg("www.example.org.", 8), nil, dns.RcodeNotAuth, false},
		{"bad signature", "127.0.0.1", func() *dns.Msg {
			m := notifyMsg(zoneName, 8)
			m.SetTsig("k.", dns.HmacSHA256, 300, time.Now().Unix())
			return m
		}(), dns.ErrSig, dns.RcodeNotAuth, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &recorder{ResponseWriter: &test.ResponseWriter{RemoteIP: tc.from}, tsigErr: tc.tsig}
			s.ServeDNS(t.Context(), w, tc.msg)
			if w.msg == nil || w.msg.Rcode != tc.rcode || w.msg.Opcode != dns.OpcodeNotify || !w.msg.Response {
				t.Fatalf("reply %v, want rcode %s", w.msg, dns.RcodeToString[tc.rcode])
			}
			if w.msg.Authoritative != (tc.rcode == dns.RcodeSuccess) {
				t.Errorf("AA=%v", w.msg.Authoritative)
			}
			kicked := false
			select {
			case <-z.kick:
				kicked = true
			default:
			}
			if kicked != tc.kick {
				t.Errorf("refresh started: %v, want %v", kicked, tc.kick)
			}
		})
	}
	if got := counterValue(notifyCount, "", zoneName, "accepted") - accepted; got != 2 {
		t.Errorf("notifies_total{result=accepted} +%v, want +2", got)
	}
	if got := counterValue(notifyCount, "", zoneName, "refused") - refusedN; got != 2 {
		t.Errorf("notifies_total{result=refused} +%v, want +2", got)
	}
}

// A NOTIFY for a serial we have starts no refresh.
func TestNotifyUpToDate(t *testing.T) {
	tr := startTree(t, defaultMaxDepth)
	z := tr.s.zones[zoneName]
	if r := serveFrom(t, tr.s, "127.0.0.31", notifyMsg(zoneName, 7)); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
	}
	if len(z.kick) != 0 {
		t.Error("NOTIFY with our own serial started a refresh")
	}
	serveFrom(t, tr.s, "127.0.0.31", notifyMsg(zoneName, 8))
	if len(z.kick) != 1 {
		t.Error("NOTIFY with a newer serial started no refresh")
	}
}

// NOTIFY starts a refresh at once; a burst starts at most one a second.
func TestNotifyRefreshes(t *testing.T) {
	p := startServer(t, "127.0.0.1", 0, authServer(t, map[string]string{zoneName: exampleZone}))
	clk := newFakeClock()
	s, _, made := startLoop(t, clk, testOptions(p.Addr))

	clk.Advance(5 * time.Second)
	p.set(authServer(t, map[string]string{zoneName: withSerial(exampleZone, 8)}))
	serveFrom(t, s, "127.0.0.1", notifyMsg(zoneName, 8))
	wait, made := clk.waitTimer(t, made)
	if serial(s) != 8 || wait != time.Minute {
		t.Fatalf("after NOTIFY: serial %d, next in %s; want 8, 1m0s", serial(s), wait)
	}

	// Within a second of that refresh, another NOTIFY waits out the second.
	clk.Advance(300 * time.Millisecond)
	p.set(authServer(t, map[string]string{zoneName: withSerial(exampleZone, 9)}))
	serveFrom(t, s, "127.0.0.1", notifyMsg(zoneName, 9))
	if wait, made = clk.waitTimer(t, made); wait != 700*time.Millisecond || serial(s) != 8 {
		t.Fatalf("NOTIFY within the holdoff: next in %s, serial %d; want 700ms, 8", wait, serial(s))
	}
	clk.Advance(wait)
	if _, _ = clk.waitTimer(t, made); serial(s) != 9 {
		t.Errorf("after the holdoff: serial %d, want 9", serial(s))
	}
}
