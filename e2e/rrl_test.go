package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

const rrlExampleOrg = `$TTL 300
@       IN SOA ns1 hostmaster 1 3600 600 86400 300
@       IN NS  ns1
ns1     IN A   127.0.0.1
www     IN A   192.0.2.80
www     IN A   192.0.2.81
sub     IN NS  ns.sub
ns.sub  IN A   192.0.2.53
`

// The same settings for both servers; 127.0.9.0/24 is exempt.
const (
	rrlNamedConf = `rate-limit {
		responses-per-second 5;
		window 2;
		slip 2;
		exempt-clients { 127.0.9.0/24; };
	};`
	rrlCorefile = `.:%d {
	rrl {
		responses-per-second 5
		window 2
		slip 2
		exempt-clients 127.0.9.0/24
		log stdout
	}
	file db.example.org example.org
}
`
)

// TestRRLWithBIND sends the same UDP bursts, at 20× the limit, to BIND 9
// with rate-limit and to corebind with rrl, with the same settings, at the
// same moment, and compares the answered, slipped and dropped counts.
//
// Tolerance: both servers credit accounts per whole second of their own
// clock. Each burst starts 20 ms after a second boundary and takes a few
// milliseconds to send, so on a quiet machine both handle it within one
// second and the counts are identical (5 answered, 48 slipped, 47 dropped
// of 100); on a loaded machine one server may handle the tail of a burst
// in the next second and earn one more second of credit: up to 5 (the
// rate) more answers, and a slip counter restarted. So answered may differ
// by at most the rate, slipped by at most half the rate plus one, and the
// drops by the rest.
func TestRRLWithBIND(t *testing.T) {
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Options: rrlNamedConf,
		Conf:    `zone "example.org" { type primary; file "example.org.db"; };`,
		Files:   map[string]string{"example.org.db": rrlExampleOrg},
	})
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	c := testkit.StartCoreDNS(t, fmt.Sprintf(rrlCorefile, port), testkit.CoreDNSOptions{
		Wait:  addr,
		Files: map[string]string{"db.example.org": rrlExampleOrg},
	})

	const n = 100
	both := func(from string, msgs func() []*dns.Msg) (bind, cb testkit.BurstResult) {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); bind = testkit.Burst(t, from, named.Addr, msgs(), time.Second) }()
		go func() { defer wg.Done(); cb = testkit.Burst(t, from, addr, msgs(), time.Second) }()
		wg.Wait()
		return
	}
	same := func(name string) func() []*dns.Msg {
		return func() []*dns.Msg {
			msgs := make([]*dns.Msg, n)
			for i := range msgs {
				msgs[i] = new(dns.Msg).SetQuestion(name, dns.TypeA)
			}
			return msgs
		}
	}
	random := func(format string) func() []*dns.Msg {
		return func() []*dns.Msg {
			msgs := make([]*dns.Msg, n)
			for i := range msgs {
				msgs[i] = new(dns.Msg).SetQuestion(fmt.Sprintf(format, i, time.Now().UnixNano()%100000), dns.TypeA)
			}
			return msgs
		}
	}
	agree := func(what string, bind, cb testkit.BurstResult) {
		t.Helper()
		t.Logf("%-28s BIND: %v; corebind: %v", what, bind, cb)
		if d := abs(bind.Answered - cb.Answered); d > 5 {
			t.Errorf("%s: answered differ by %d (BIND %d, corebind %d), more than the rate 5", what, d, bind.Answered, cb.Answered)
		}
		if d := abs(bind.Slipped - cb.Slipped); d > 3 {
			t.Errorf("%s: slipped differ by %d (BIND %d, corebind %d)", what, d, bind.Slipped, cb.Slipped)
		}
		if d := abs(bind.Dropped - cb.Dropped); d > 8 {
			t.Errorf("%s: dropped differ by %d (BIND %d, corebind %d)", what, d, bind.Dropped, cb.Dropped)
		}
		if fmt.Sprint(bind.SlippedRcodes) != fmt.Sprint(cb.SlippedRcodes) {
			t.Errorf("%s: slipped rcodes BIND %v, corebind %v", what, bind.SlippedRcodes, cb.SlippedRcodes)
		}
	}

	b, r := both("127.0.10.2", same("www.example.org."))
	agree("answers", b, r)
	b, r = both("127.0.11.2", random("nx%d-%d.example.org."))
	agree("NXDOMAIN over random names", b, r)
	b, r = both("127.0.12.2", random("h%d-%d.sub.example.org."))
	agree("referrals over random names", b, r)
	b, r = both("127.0.13.2", random("r%d-%d.www.example.org."))
	agree("NXDOMAIN under a name", b, r)
	b, r = both("127.0.14.2", func() []*dns.Msg {
		msgs := same("www.example.org.")()
		for i, m := range msgs {
			m.Question[0].Qtype = []uint16{dns.TypeMX, dns.TypeTXT, dns.TypeSRV}[i%3]
		}
		return msgs
	})
	agree("NODATA over three types", b, r)
	// Errors: REFUSED for a zone neither serves; never slipped.
	b, r = both("127.0.15.2", random("x%d-%d.outside.test."))
	agree("REFUSED over random names", b, r)
	if b.Slipped != 0 || r.Slipped != 0 {
		t.Errorf("error responses slipped: BIND %v, corebind %v", b, r)
	}
	b, r = both("127.0.9.2", same("www.example.org."))
	agree("exempt client", b, r)
	if b.Answered != n || r.Answered != n {
		t.Errorf("exempt client limited: BIND %v, corebind %v", b, r)
	}

	// The slipped reply: the same shape from both.
	shape := func(server string) string {
		for range 30 {
			m, err := testkit.TryExchange("udp", "127.0.10.2", server, new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA))
			if err == nil && m.Truncated {
				return fmt.Sprintf("rcode %s aa %v qd %d an %d ns %d ar %d", dns.RcodeToString[m.Rcode], m.Authoritative, len(m.Question), len(m.Answer), len(m.Ns), len(m.Extra))
			}
		}
		return "no slipped reply"
	}
	if bs, cs := shape(named.Addr), shape(addr); bs != cs {
		t.Errorf("slipped reply: BIND %s, corebind %s", bs, cs)
	}

	// TCP is never limited, by either, even for a client being limited.
	for _, server := range []string{named.Addr, addr} {
		for range 20 {
			m := testkit.Exchange(t, "tcp", "127.0.10.2", server, new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA))
			if m.Truncated || len(m.Answer) != 2 {
				t.Fatalf("TCP to %s limited: %v", server, m)
			}
		}
	}

	// The same start line in the rate-limit category (the hash in
	// parentheses is each server's own).
	for _, line := range []string{
		"limit responses to 127.0.10.0/24 for www.example.org IN A  (",
		"limit NXDOMAIN responses to 127.0.11.0/24 for example.org  (",
		"limit referral responses to 127.0.12.0/24 for sub.example.org IN  (",
		"limit NODATA responses to 127.0.14.0/24 for www.example.org IN  (", // per name, not zone
		"limit REFUSED error responses to 127.0.15.0/24",
	} {
		if !strings.Contains(named.Output(), line) {
			t.Errorf("BIND did not log %q:\n%s", line, named.Output())
		}
		if !testkit.Eventually(3*time.Second, func() bool { return strings.Contains(c.Output(), "rate-limit: info: "+line) }) {
			t.Errorf("corebind did not log %q:\n%s", line, c.Output())
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestRRLWithBINDSettings compares more settings side by side, one pair of
// servers each: slip 1 (every limited answer truncated), slip 3 with an
// all-per-second limit under the per-name one (all-per-second decides and
// never slips), and log-only (everything answered, "would limit" logged).
// The tolerance is TestRRLWithBIND's.
func TestRRLWithBINDSettings(t *testing.T) {
	for _, tc := range []struct {
		name, bind, rrl string
		line            string // the start line both log
	}{
		{"slip 1", "responses-per-second 5; window 1; slip 1;", "responses-per-second 5\n window 1\n slip 1",
			"limit responses to 127.0.20.0/24 for www.example.org IN A  ("},
		{"all-per-second", "responses-per-second 20; all-per-second 8; slip 3;", "responses-per-second 20\n all-per-second 8\n slip 3",
			"limit all responses to 127.0.20.0/24"},
		{"log-only", "responses-per-second 5; log-only yes;", "responses-per-second 5\n log-only",
			"would limit responses to 127.0.20.0/24 for www.example.org IN A  ("},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "-"), func(t *testing.T) {
			named := testkit.StartNamed(t, testkit.NamedOptions{
				Options: "rate-limit { " + tc.bind + " };",
				Conf:    `zone "example.org" { type primary; file "example.org.db"; };`,
				Files:   map[string]string{"example.org.db": rrlExampleOrg},
			})
			port := testkit.FreePort(t)
			addr := testkit.HostPort("127.0.0.1", port)
			c := testkit.StartCoreDNS(t, fmt.Sprintf(".:%d {\n rrl {\n %s\n log stdout\n }\n file db.example.org example.org\n}\n", port, tc.rrl),
				testkit.CoreDNSOptions{Wait: addr, Files: map[string]string{"db.example.org": rrlExampleOrg}})
			msgs := func() []*dns.Msg {
				m := make([]*dns.Msg, 100)
				for i := range m {
					m[i] = new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
				}
				return m
			}
			var b, r testkit.BurstResult
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); b = testkit.Burst(t, "127.0.20.2", named.Addr, msgs(), time.Second) }()
			go func() { defer wg.Done(); r = testkit.Burst(t, "127.0.20.2", addr, msgs(), time.Second) }()
			wg.Wait()
			t.Logf("BIND: %v; corebind: %v", b, r)
			if abs(b.Answered-r.Answered) > 5 || abs(b.Slipped-r.Slipped) > 3 || abs(b.Dropped-r.Dropped) > 8 {
				t.Errorf("counts differ beyond one second's credit: BIND %v, corebind %v", b, r)
			}
			if !strings.Contains(named.Output(), tc.line) {
				t.Errorf("BIND did not log %q", tc.line)
			}
			// The log writer runs behind the query path: give it a moment.
			if !testkit.Eventually(3*time.Second, func() bool { return strings.Contains(c.Output(), "rate-limit: info: "+tc.line) }) {
				t.Errorf("corebind did not log %q:\n%s", tc.line, c.Output())
			}
		})
	}
}
