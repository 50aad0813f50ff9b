package rrl

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"
)

func testLimiter(mod func(*settings)) *limiter {
	s := defaultSettings()
	s.rates[classResponse] = 5
	s.rates[classReferral] = 5
	s.rates[classNodata] = 5
	s.rates[classNxdomain] = 5
	s.rates[classError] = 5
	s.window = 2
	if mod != nil {
		mod(&s)
	}
	return newLimiter(s, nil)
}

func answer(addr string) *query {
	return &query{addr: netip.MustParseAddr(addr), class: classResponse, qclass: 1, qtype: 1, name: "www.example.org."}
}

// burst sends n responses at second now and counts the verdicts.
func burst(l *limiter, now int64, n int, q *query) (passed, slipped, dropped int) {
	for range n {
		switch l.account(now, q) {
		case pass:
			passed++
		case slip:
			slipped++
		case drop:
			dropped++
		}
	}
	return
}

// TestAccounting is BIND's arithmetic: rate answers a second, a debt of at
// most window*rate, and credit of rate per whole second after it.
func TestAccounting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []struct {
			now     int64
			n       int
			passed  int
			slipped int
			dropped int
		}
		slip int32
	}{
		{name: "100 in one second, slip 2", slip: 2, steps: []struct {
			now                         int64
			n, passed, slipped, dropped int
		}{{1000, 100, 5, 48, 47}}},
		{name: "debt bounded by window", slip: 0, steps: []struct {
			now                         int64
			n, passed, slipped, dropped int
		}{
			{1000, 100, 5, 0, 95}, // debt floors at -10 (window 2 * rate 5)
			{1001, 5, 0, 0, 5},    // +5 credit: -5, all 5 dropped, back to -10
			{1003, 10, 0, 0, 10},  // +10 after 2 s: 0, every debit goes under
			{1006, 10, 5, 0, 5},   // idle 3 s > window: afresh at 5
		}},
		{name: "idle longer than window starts afresh", slip: 1, steps: []struct {
			now                         int64
			n, passed, slipped, dropped int
		}{
			{1000, 20, 5, 15, 0},
			{1003, 20, 5, 15, 0},
		}},
		{name: "one second of credit", slip: 0, steps: []struct {
			now                         int64
			n, passed, slipped, dropped int
		}{
			{1000, 5, 5, 0, 0},
			{1001, 6, 5, 0, 1}, // credit is capped at one second's rate
			{1002, 5, 4, 0, 1}, // -1 + 5: 4 answers

		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := testLimiter(func(s *settings) { s.slip = tc.slip })
			q := answer("192.0.2.1")
			for i, st := range tc.steps {
				p, s, d := burst(l, st.now, st.n, q)
				if p != st.passed || s != st.slipped || d != st.dropped {
					t.Errorf("step %d (t=%d, %d responses): passed/slipped/dropped %d/%d/%d, want %d/%d/%d",
						i, st.now, st.n, p, s, d, st.passed, st.slipped, st.dropped)
				}
			}
		})
	}
}

// TestSlip: every slip'th limited response slips, starting with the first.
func TestSlip(t *testing.T) {
	for _, tc := range []struct {
		slip             int32
		slipped, dropped int
	}{
		{0, 0, 95}, {1, 95, 0}, {2, 48, 47}, {3, 32, 63}, {10, 10, 85},
	} {
		l := testLimiter(func(s *settings) { s.slip = tc.slip })
		p, s, d := burst(l, 1000, 100, answer("192.0.2.1"))
		if p != 5 || s != tc.slipped || d != tc.dropped {
			t.Errorf("slip %d: passed/slipped/dropped %d/%d/%d, want 5/%d/%d", tc.slip, p, s, d, tc.slipped, tc.dropped)
		}
	}
	// The pattern: with slip 3, the 1st, 4th, 7th... limited response slip.
	l := testLimiter(func(s *settings) { s.slip = 3 })
	burst(l, 1000, 5, answer("192.0.2.1"))
	var got []verdict
	for range 7 {
		got = append(got, l.account(1000, answer("192.0.2.1")))
	}
	want := []verdict{slip, drop, drop, slip, drop, drop, slip}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("slip 3 pattern %v, want %v", got, want)
	}
}

// TestKeys: what shares an account and what does not.
func TestKeys(t *testing.T) {
	l := testLimiter(func(s *settings) { s.slip = 0 })
	exhaust := func(q *query) { burst(l, 1000, 5, q) }
	limited := func(q *query) bool { return l.account(1000, q) != pass }

	q := answer("192.0.2.1")
	exhaust(q)
	if !limited(answer("192.0.2.200")) {
		t.Error("another address in the same /24 is not limited")
	}
	if limited(answer("192.0.3.1")) {
		t.Error("another /24 is limited")
	}
	if limited(&query{addr: q.addr, class: classResponse, qclass: 1, qtype: 28, name: q.name}) {
		t.Error("another qtype shares the account")
	}
	if limited(&query{addr: q.addr, class: classResponse, qclass: 1, qtype: 1, name: "mail.example.org."}) {
		t.Error("another name shares the account")
	}
	if !limited(&query{addr: q.addr, class: classResponse, qclass: 1, qtype: 1, name: "WWW.Example.ORG"}) {
		t.Error("the name's case or final dot makes another account")
	}
	// NXDOMAIN: one account per zone, whatever the query name.
	nx := func(zone string) *query {
		return &query{addr: q.addr, class: classNxdomain, qclass: 1, qtype: 1, name: zone}
	}
	exhaust(nx("example.org."))
	if !limited(nx("example.org.")) || limited(nx("example.net.")) {
		t.Error("NXDOMAIN not accounted per zone")
	}
	// Errors: one account per client prefix.
	exhaust(&query{addr: q.addr, class: classError, rcode: 5})
	if !limited(&query{addr: netip.MustParseAddr("192.0.2.9"), class: classError, rcode: 2, name: "x."}) {
		t.Error("errors not accounted per prefix alone")
	}
	// IPv6: /56 by default.
	exhaust(answer("2001:db8:0:100::1"))
	if !limited(answer("2001:db8:0:1ff::2")) || limited(answer("2001:db8:0:200::1")) {
		t.Error("IPv6 not accounted per /56")
	}
}

// TestRateZero: 0 means no limit for that class; all-per-second limits
// every class together and never slips.
func TestRateZero(t *testing.T) {
	l := testLimiter(func(s *settings) {
		s.rates[classNxdomain] = 0
		s.rates[classAll] = 8
		s.slip = 1
	})
	nx := &query{addr: netip.MustParseAddr("192.0.2.1"), class: classNxdomain, name: "example.org."}
	p, s, d := burst(l, 1000, 20, nx)
	if p != 8 || s != 0 || d != 12 {
		t.Errorf("all-per-second 8 over unlimited NXDOMAIN: %d/%d/%d, want 8/0/12", p, s, d)
	}
	l = testLimiter(func(s *settings) { s.rates = [numClasses]int32{} })
	if p, _, _ := burst(l, 1000, 1000, answer("192.0.2.1")); p != 1000 || l.t.Len() != 0 {
		t.Errorf("no rates: %d passed, %d entries; want 1000, 0", p, l.t.Len())
	}
}

// TestLogOnlyAndLog: the log has one limit line per account and one stop
// line, never one per limited response.
func TestLogLines(t *testing.T) {
	var lines []string
	s := defaultSettings()
	s.rates[classResponse] = 5
	s.rates[classNxdomain] = 5
	s.logOnly = true
	l := newLimiter(s, func(ev event) { lines = append(lines, string(appendEvent(nil, &ev))) })
	l.stops = 2
	burst(l, 1000, 100, answer("192.0.2.77"))
	burst(l, 1000, 100, &query{addr: netip.MustParseAddr("2001:db8::1"), class: classNxdomain, name: "example.org."})
	burst(l, 1001, 100, answer("192.0.2.77"))
	want := []string{
		"would limit responses to 192.0.2.0/24 for www.example.org IN A  (" + fmt.Sprintf("%08x", hashName("www.example.org")) + ")",
		"would limit NXDOMAIN responses to 2001:db8::/56 for example.org  (" + fmt.Sprintf("%08x", hashName("example.org")) + ")",
	}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Fatalf("lines:\n%q\nwant\n%q", lines, want)
	}
	lines = nil
	// Quiet for 2 seconds and back in credit: stop lines, at the next query.
	l.account(1030, answer("198.51.100.1"))
	if len(lines) != 2 || lines[0][:len("would stop limiting responses")] != "would stop limiting responses" {
		t.Fatalf("stop lines %q", lines)
	}
}

// TestTableBounded: a flood from a million distinct sources keeps the table
// at max-table-size and the heap bounded; a known client is still limited
// while the flood recycles entries around it.
func TestTableBounded(t *testing.T) {
	l := testLimiter(func(s *settings) { s.maxSize = 20000 })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	q := answer("10.0.0.1")
	var a [4]byte
	for i := range 1_000_000 {
		a = [4]byte{byte(i >> 16), byte(i >> 8), byte(i), 1}
		q.addr = netip.AddrFrom4(a)
		l.account(1000+int64(i/100000), q)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := l.t.Len(); n != 20000 || len(l.t.index) != 20000 {
		t.Fatalf("table holds %d entries (%d indexed), want max-table-size 20000", n, len(l.t.index))
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > 16<<20 {
		t.Errorf("heap grew %d bytes for a 20000-entry table", grown)
	}
	t.Logf("heap grew %d KiB for 1,000,000 sources into 20,000 entries", grown>>10)
}

// TestRecycleLogged: a logged account thrown out of a full table gets its
// early "*stop limiting" line.
func TestRecycleLogged(t *testing.T) {
	var lines []string
	s := defaultSettings()
	s.rates[classResponse] = 1
	s.maxSize = 2
	l := newLimiter(s, func(ev event) { lines = append(lines, string(appendEvent(nil, &ev))) })
	burst(l, 1000, 3, answer("192.0.2.1"))
	burst(l, 1000, 1, answer("198.51.100.1"))
	burst(l, 1000, 1, answer("203.0.113.1"))
	if len(lines) != 2 || lines[1][:len("*stop limiting")] != "*stop limiting" {
		t.Fatalf("lines %q, want a limit line and an early stop line", lines)
	}
}

// BenchmarkAccountKnown is the hot path: a client already in the table,
// under its limit. It allocates nothing.
func BenchmarkAccountKnown(b *testing.B) {
	l := testLimiter(func(s *settings) { s.rates[classResponse] = 1000 })
	q := answer("192.0.2.1")
	l.account(1000, q)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.account(1000+int64(i/1000), q)
	}
}

// BenchmarkAccountFlood is a spoofed flood: every response from a new
// address, the table full and recycling.
func BenchmarkAccountFlood(b *testing.B) {
	l := testLimiter(nil)
	q := answer("10.0.0.1")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q.addr = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.account(1000+int64(i/100000), q)
	}
}

// TestQPSScale: with qps-scale 100 and the server answering 1000 a second,
// rates are scaled by 100/1000 (10 becomes 1), except for a client that
// used TCP within the window.
func TestQPSScale(t *testing.T) {
	l := testLimiter(func(s *settings) {
		s.rates[classResponse] = 10
		s.qpsScale = 100
		s.window = 2
		s.slip = 0
	})
	// Two seconds of 1000 responses a second from 1000 other clients.
	for sec := int64(1000); sec < 1003; sec++ {
		for i := range 1000 {
			q := answer("10.0.0.1")
			q.addr = netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1})
			l.account(sec, q)
		}
	}
	if p, _, _ := burst(l, 1003, 10, answer("192.0.2.1")); p != 1 {
		t.Errorf("scaled: %d of 10 answered, want 1 (10 × 100/1000)", p)
	}
	tcp := answer("198.51.100.1")
	tcp.tcp = true
	if l.account(1003, tcp) != pass {
		t.Fatal("TCP limited")
	}
	if p, _, _ := burst(l, 1003, 10, answer("198.51.100.1")); p != 10 {
		t.Errorf("client that used TCP: %d of 10 answered, want the full rate 10", p)
	}
}

// BenchmarkAccountManyNames is one client asking 12,500 names in turn (the
// bench's authoritative load): every response a known account, under its
// limit, spread over a table too large for the CPU caches' liking.
func BenchmarkAccountManyNames(b *testing.B) {
	l := testLimiter(func(s *settings) { s.rates[classResponse] = 1000 })
	qs := make([]query, 12500)
	for i := range qs {
		qs[i] = *answer("192.0.2.1")
		qs[i].name = fmt.Sprintf("h%05d.bench.test.", i)
		l.account(1000, &qs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.account(1000+int64(i/30000), &qs[i%len(qs)])
	}
}
