package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ctest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

const rrlZone = `$TTL 300
@       IN SOA ns1 hostmaster 1 3600 600 86400 300
@       IN NS  ns1
ns1     IN A   127.0.0.1
www     IN A   192.0.2.80
sub     IN NS  ns.sub
ns.sub  IN A   192.0.2.53
`

const rrlCorefile = `.:0 {
	rrl example.org {
		responses-per-second 5
		window 2
		slip 2
		exempt-clients 127.0.9.0/24
		log file %[1]s/rrl.log
	}
	file %[1]s/db.example.org example.org
}
`

// startRRL starts an in-process server with rrl in front of a zone and
// returns its UDP and TCP addresses on 127.0.0.1 and its directory.
func startRRL(t *testing.T) (udp, tcp, dir string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "db.example.org"), []byte(rrlZone), 0o644); err != nil {
		t.Fatal(err)
	}
	i, u, tc, err := ctest.CoreDNSServerAndPorts(onTestPort(t, fmt.Sprintf(rrlCorefile, dir)))
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	t.Cleanup(func() { i.Stop(); i.ShutdownCallbacks() })
	return raclLoopback(t, u), raclLoopback(t, tc), dir
}

func rrlMsgs(n int, name func(i int) string) []*dns.Msg {
	msgs := make([]*dns.Msg, n)
	for i := range msgs {
		msgs[i] = new(dns.Msg).SetQuestion(name(i), dns.TypeA)
	}
	return msgs
}

// checkShare asserts BIND's arithmetic for a burst of 10× the limit of 5 a
// second (window 2, slip 2): 5 answers for each second the burst spanned
// (the credit is per whole second) and no more, every second limited
// response slipped (TC=1), the rest dropped.
func checkShare(t *testing.T, what string, n int, r testkit.BurstResult) {
	t.Helper()
	t.Logf("%s: %v", what, r)
	if r.Answered < 5 || r.Answered > 5*r.Seconds {
		t.Errorf("%s: %d answered, want 5 per second spanned (%d s)", what, r.Answered, r.Seconds)
	}
	limited := n - r.Answered
	if r.Slipped < limited/2-1 || r.Slipped > (limited+1)/2+1 {
		t.Errorf("%s: %d slipped of %d limited, want every second one (slip 2)", what, r.Slipped, limited)
	}
	if r.Dropped != limited-r.Slipped {
		t.Errorf("%s: %d dropped, want %d", what, r.Dropped, limited-r.Slipped)
	}
}

// TestRRLBurst: a burst from one source at 10× the limit gets its share;
// another source (another /24) is unaffected; an exempt client and TCP are
// never limited.
func TestRRLBurst(t *testing.T) {
	udp, tcp, dir := startRRL(t)
	www := func(int) string { return "www.example.org." }

	r := testkit.Burst(t, "127.0.0.2", udp, rrlMsgs(50, www), time.Second)
	checkShare(t, "burst from 127.0.0.2", 50, r)

	// Within the same second: TCP from the limited client is answered.
	for range 10 {
		m := testkit.Exchange(t, "tcp", "127.0.0.2", tcp, new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA))
		if m.Truncated || len(m.Answer) != 1 {
			t.Fatalf("TCP from a limited client: %v", m)
		}
	}
	// Another /24 is unaffected, even during the first one's burst (of
	// another name: www's account is still in debt, as BIND's would be).
	ns1 := func(int) string { return "ns1.example.org." }
	done := make(chan testkit.BurstResult)
	go func() { done <- testkit.Burst(t, "127.0.0.2", udp, rrlMsgs(50, ns1), time.Second) }()
	other := testkit.Burst(t, "127.0.1.2", udp, rrlMsgs(5, www), time.Second)
	checkShare(t, "second burst from 127.0.0.2", 50, <-done)
	if other.Answered != 5 {
		t.Errorf("127.0.1.2 sending 5 a second: %v, want all answered", other)
	}
	// An exempt client is never limited.
	if ex := testkit.Burst(t, "127.0.9.1", udp, rrlMsgs(50, www), time.Second); ex.Answered != 50 {
		t.Errorf("exempt client: %v, want all 50 answered", ex)
	}

	// The slipped reply is BIND's: TC=1, the question, no records.
	c := &dns.Client{Net: "udp", Timeout: time.Second}
	var slipped *dns.Msg
	for range 20 {
		m, _, err := c.Exchange(new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA), udp)
		if err == nil && m.Truncated {
			slipped = m
			break
		}
	}
	if slipped == nil {
		t.Fatal("no slipped reply in 20 queries at once")
	}
	if len(slipped.Question) != 1 || len(slipped.Answer)+len(slipped.Ns)+len(slipped.Extra) != 0 || slipped.Rcode != dns.RcodeSuccess {
		t.Errorf("slipped reply:\n%v\nwant TC=1, NOERROR, the question and no records", slipped)
	}

	// The rate-limit log: one limit line per account, not per response.
	const line = "rate-limit: info: limit responses to 127.0.0.0/24 for www.example.org IN A  ("
	var b []byte
	testkit.Eventually(3*time.Second, func() bool {
		b, _ = os.ReadFile(filepath.Join(dir, "rrl.log"))
		return strings.Contains(string(b), line)
	})
	if n := strings.Count(string(b), line); n != 1 {
		t.Errorf("log has %d limit lines for 127.0.0.0/24, want 1:\n%s", n, b)
	}
}

// TestRRLNxdomainPerZone: an NXDOMAIN flood over random names is one
// account per zone, so varying the name does not escape the limit.
func TestRRLNxdomainPerZone(t *testing.T) {
	udp, _, _ := startRRL(t)
	r := testkit.Burst(t, "127.0.2.2", udp, rrlMsgs(50, func(i int) string {
		return fmt.Sprintf("r%d-%d.example.org.", i, time.Now().UnixNano()%1000)
	}), time.Second)
	checkShare(t, "NXDOMAIN over random names", 50, r)
	if r.Rcodes[dns.RcodeNameError] != r.Answered || r.SlippedRcodes[dns.RcodeNameError] != r.Slipped {
		t.Errorf("rcodes %v, slipped %v: want NXDOMAIN throughout", r.Rcodes, r.SlippedRcodes)
	}
	// Referrals are accounted per delegation point.
	r = testkit.Burst(t, "127.0.3.2", udp, rrlMsgs(50, func(i int) string {
		return fmt.Sprintf("h%d.sub.example.org.", i)
	}), time.Second)
	checkShare(t, "referrals over random names", 50, r)
}

// TestRRLIPv6: a client on ::1 is limited in its /56 like any other.
func TestRRLIPv6(t *testing.T) {
	udp, _, _ := startRRL(t)
	_, port, _ := strings.Cut(udp, "127.0.0.1:")
	r := testkit.Burst(t, "::1", "[::1]:"+port, rrlMsgs(50, func(int) string { return "www.example.org." }), time.Second)
	checkShare(t, "burst from ::1", 50, r)
}
