package querylog

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// Unit tests of issue 17's parts: history, hunt tables, mask, sample, and
// the options that configure them. Real traffic is in test/querylog_ui_test.go
// and e2e/querylog_page_test.go.

func TestHistory(t *testing.T) {
	var h history
	base := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) int64 { return base.Add(d).UnixNano() }
	for range 3 {
		h.add(at(0))
	}
	h.add(at(1500 * time.Millisecond))
	h.add(at(2 * time.Second))
	h.add(at(1 * time.Second)) // late: still in the ring
	h.add(at(61 * time.Second))
	s := h.snapshot(base.Add(61 * time.Second))
	ps := s.PerSecond
	if len(ps) != historySeconds || len(s.PerMinute) != historyMinutes {
		t.Fatalf("lengths %d %d", len(ps), len(s.PerMinute))
	}
	last := len(ps) - 1
	if ps[last] != 1 || ps[last-59] != 1 || ps[last-60] != 2 || ps[last-61] != 3 || ps[last-58] != 0 {
		t.Errorf("per second, newest last: ...%v", ps[last-62:])
	}
	pm := s.PerMinute
	if pm[len(pm)-1] != 1 || pm[len(pm)-2] != 6 {
		t.Errorf("per minute: ...%v", pm[len(pm)-3:])
	}
	// Ten minutes later the seconds are gone, the minutes are not; two
	// hours later nothing is left.
	s = h.snapshot(base.Add(10 * time.Minute))
	for _, v := range s.PerSecond {
		if v != 0 {
			t.Fatalf("seconds older than 5 minutes kept: %v", s.PerSecond)
		}
	}
	if pm := s.PerMinute; pm[len(pm)-11] != 6 || pm[len(pm)-10] != 1 {
		t.Errorf("per minute after 10 minutes: ...%v", pm[len(pm)-12:])
	}
	h.add(at(-time.Hour)) // too old for both rings: not counted, no panic
	s = h.snapshot(base.Add(2 * time.Hour))
	for _, v := range s.PerMinute {
		if v != 0 {
			t.Fatalf("minutes older than an hour kept: %v", s.PerMinute)
		}
	}
}

func TestHistoryAllocs(t *testing.T) {
	s := newStats(10, 10, time.Now())
	rec := record{qname: "www.example.org.", responded: true, size: 100, client: netip.MustParseAddrPort("127.0.0.2:53")}
	now := time.Now().UnixNano()
	s.add(&rec) // the name's first time
	if n := testing.AllocsPerRun(1000, func() {
		now += int64(time.Second) // a new second, and now and then a new minute
		rec.time = now
		rec.rcode = dns.RcodeNameError
		s.add(&rec)
	}); n != 0 {
		t.Errorf("%v allocations per query", n)
	}
}

func TestHunt(t *testing.T) {
	s := newStats(2, 2, time.Now())
	add := func(ip, name string, rcode int, size uint32, n int) {
		rec := record{client: netip.AddrPortFrom(netip.MustParseAddr(ip), 53), qname: name, responded: true, rcode: int32(rcode), size: size}
		for range n {
			s.add(&rec)
		}
	}
	add("127.0.0.2", "nx.example.org.", dns.RcodeNameError, 100, 5)
	add("127.0.0.3", "Broken.example.org.", dns.RcodeServerFailure, 50, 3)
	add("127.0.0.4", "other.net.", dns.RcodeRefused, 30, 2)
	add("127.0.0.5", "www.example.org.", dns.RcodeSuccess, 4000, 1) // the amplification victim
	snap := s.snapshot(time.Now())
	h := snap.Hunt
	if got := h.Failed[failNXDomain]; len(got) != 1 || got[0].Key != "nx.example.org." || got[0].Count != 5 || got[0].Error != 0 {
		t.Errorf("nxdomain names %+v", got)
	}
	if got := h.Failed[failServFail]; len(got) != 1 || got[0].Key != "broken.example.org." || got[0].Count != 3 {
		t.Errorf("servfail names %+v (case-folded as the names table)", got)
	}
	if got := h.Failed[failRefused]; len(got) != 1 || got[0].Key != "other.net." || got[0].Count != 2 {
		t.Errorf("refused names %+v", got)
	}
	// Two slots, four senders: weighted Space-Saving keeps the heaviest.
	if got := h.Senders; len(got) != 2 || got[0].Key.String() != "127.0.0.5" || got[0].Count-got[0].Error > 4000 || got[0].Count < 4000 {
		t.Errorf("senders %+v", got)
	}
	if h.Rcodes != [rcodeClasses]uint64{1, 5, 3, 2, 0} {
		t.Errorf("rcodes %v", h.Rcodes)
	}
	j := snap.toJSON(0)
	if j.Responses.NXDomain != 5 || len(j.NXDomainNames) != 1 || j.BytesSent[0].IP != "127.0.0.5" || j.History == nil || len(j.History.PerSecond) != historySeconds {
		t.Errorf("json %+v", j.huntJSON)
	}
	if j := snap.toJSON(summaryTop); j.History != nil {
		t.Error("the interval summary carries the history")
	}
	s.resetSnapshot(time.Now())
	if snap := s.snapshot(time.Now()); len(snap.Hunt.Senders) != 0 || snap.Hunt.Rcodes != [rcodeClasses]uint64{} || len(snap.Hunt.Failed[0]) != 0 {
		t.Errorf("after reset: %+v", snap.Hunt)
	}
}

func TestMask(t *testing.T) {
	m := addrMask{on: true, v4: 24, v6: 48}
	for in, want := range map[string]string{
		"192.0.2.77":        "192.0.2.0",
		"::ffff:192.0.2.77": "192.0.2.0",
		"2001:db8:1:2::5":   "2001:db8:1::",
		"::1":               "::",
	} {
		if got := m.addr(netip.MustParseAddr(in)); got.String() != want {
			t.Errorf("mask 24 48 of %s = %s, want %s", in, got, want)
		}
	}
	rec := record{client: netip.MustParseAddrPort("198.51.100.9:5353"), hasECS: true, ecsFamily: 1, ecsSource: 32}
	copy(rec.ecsAddr[:4], []byte{203, 0, 113, 77})
	m.apply(&rec)
	if rec.client.String() != "198.51.100.0:5353" || rec.ecs().Addr.String() != "203.0.113.0" || rec.ecsSource != 32 {
		t.Errorf("masked record: client %s ecs %s/%d", rec.client, rec.ecs().Addr, rec.ecsSource)
	}
}

func TestSample(t *testing.T) {
	rec := record{client: netip.MustParseAddrPort("192.0.2.1:1000"), msgID: 7, qname: "WWW.example.org."}
	h := sampleHash(&rec)
	lower := rec
	lower.qname = "www.example.org."
	if sampleHash(&lower) != h {
		t.Error("the hash depends on the name's case")
	}
	n, in2, in6 := 60000, 0, 0
	for i := range n {
		rec.msgID = uint16(i)
		rec.client = netip.AddrPortFrom(rec.client.Addr(), uint16(i*7))
		h := sampleHash(&rec)
		if sampled(h, 2) {
			in2++
		}
		if sampled(h, 6) {
			in6++
			if !sampled(h, 2) || !sampled(h, 3) {
				t.Fatal("a query in the 1-in-6 sample is not in the 1-in-2 and 1-in-3 samples")
			}
		}
	}
	if in2 < n/2-1000 || in2 > n/2+1000 || in6 < n/6-600 || in6 > n/6+600 {
		t.Errorf("1 in 2: %d of %d; 1 in 6: %d", in2, n, in6)
	}
	if !sampled(h, 0) || !sampled(h, 1) {
		t.Error("sample 0 and 1 leave queries out")
	}
}

func TestSetupUI(t *testing.T) {
	c := caddy.NewTestController("dns", `querylog {
		mask 24 56
		sample 10
		stats {
			listen 127.0.0.1:9154
			allow 192.0.2.0/24 !127.0.0.9 localhost
		}
	}`)
	c.ServerBlockKeys = []string{"."}
	ls, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	l := ls[0]
	if l.mask != (addrMask{on: true, v4: 24, v6: 56}) || l.sample != 10 {
		t.Errorf("mask %+v sample %d", l.mask, l.sample)
	}
	a := l.http.allow
	if !a.Match(netip.MustParseAddr("192.0.2.7"), "") || a.Match(netip.MustParseAddr("127.0.0.9"), "") || a.Match(netip.MustParseAddr("198.51.100.1"), "") {
		t.Error("allow list does not match as written")
	}
	// Default: loopback only.
	ls = parseHandler(t, block("stats {;listen 127.0.0.1:9154;}"), ".").loggers
	d := ls[0].http.allow
	if !d.Match(netip.MustParseAddr("127.0.0.5"), "") || !d.Match(netip.MustParseAddr("::1"), "") || d.Match(netip.MustParseAddr("192.0.2.7"), "") {
		t.Error("the default allow is not loopback only")
	}

	for _, tc := range []struct{ input, want string }{
		{block("mask 24"), "mask needs two prefix lengths, IPv4 then IPv6, e.g. mask 24 48"},
		{block("mask 33 48"), `mask "33": the IPv4 prefix length must be a number from 0 to 32`},
		{block("mask 24 129"), `mask "129": the IPv6 prefix length must be a number from 0 to 128`},
		{block("mask 24 48;mask 16 32"), "mask given twice"},
		{block("sample 0"), `sample "0": want a number from 1 to`},
		{block("sample"), "sample needs one number"},
		{block("sample 2;sample 3"), "sample given twice"},
		{block("stats {;allow 127.0.0.1;}"), "stats allow needs listen"},
		{block("stats {;listen 127.0.0.1:9154;allow;}"), "allow needs address match list elements"},
		{block("stats {;listen 127.0.0.1:9154;allow 10.0/8;}"), `parsing stats allow element "10.0/8"`},
		{block("stats {;listen 127.0.0.1:9154;allow key k1;}"), "key elements do not apply to HTTP clients"},
	} {
		c := caddy.NewTestController("dns", tc.input)
		c.ServerBlockKeys = []string{"."}
		err := setup(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.input, err, tc.want)
		}
	}
}

// TestSummaryHunt: the interval summary carries the response totals, the
// failing names by class and the top senders, in both formats.
func TestSummaryHunt(t *testing.T) {
	for _, f := range []string{"bind", "json"} {
		h, path := newTestHandler(t, "querylog {\noutput file LOG\nformat "+f+"\nstats {\ninterval 1s\n}\n}", answer)
		for _, q := range []struct{ ip, name string }{{"127.0.0.2", "nx.example.org."}, {"127.0.0.2", "nx.example.org."}, {"127.0.0.3", "refused.example.org."}, {"127.0.0.4", "www.example.org."}} {
			h.ServeDNS(context.Background(), &test.ResponseWriter{RemoteIP: q.ip}, query(q.name, dns.TypeA))
		}
		var text string
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(text, "statistics") {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no summary after 20s:\n%s", f, text)
			}
			time.Sleep(50 * time.Millisecond)
			data, _ := os.ReadFile(path)
			text = string(data)
		}
		text = strings.Join(lines(t, h, path), "\n")
		var want []string
		if f == "bind" {
			want = []string{
				" statistics: info: responses=4 noerror=1 nxdomain=2 servfail=0 refused=1 other=0\n",
				" statistics: info: nxdomain_name=nx.example.org queries=2 error=0\n",
				" statistics: info: refused_name=refused.example.org queries=1 error=0\n",
				" statistics: info: sender=127.0.0.2 bytes_sent=",
			}
		} else {
			want = []string{
				`"responses":{"noerror":1,"nxdomain":2,"servfail":0,"refused":1,"other":0}`,
				`"nxdomain_names":[{"name":"nx.example.org.","queries":2,"error":0}]`,
				`"refused_names":[{"name":"refused.example.org.","queries":1,"error":0}]`,
				`"clients_by_bytes_sent":[{"ip":"127.0.0.2","bytes_sent":`,
			}
		}
		for _, w := range want {
			if !strings.Contains(text+"\n", w) {
				t.Errorf("%s summary lacks %q:\n%s", f, w, text)
			}
		}
		if strings.Contains(text, `"history"`) {
			t.Errorf("json summary carries the history")
		}
	}
}
