package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/miekg/dns"
)

// The soak's load: its rate and its clients. COREBIND_SOAK sets its
// length (./build.sh soak: 10m); the default is CI's 60 seconds.
const (
	soakDefault = 60 * time.Second
	soakRate    = 2000 // queries per second, all clients together
)

// soakKind is one kind of query of the mix and the answer it must get.
type soakKind struct {
	name    string
	from    string
	network string
	msg     func(n uint64) *dns.Msg
	rcode   int
	answers int
}

func soakQ(name string, qtype, qclass uint16) *dns.Msg {
	m := new(dns.Msg).SetQuestion(name, qtype)
	m.Question[0].Qclass = qclass
	return m
}

// soakKinds is the mix: allowed and denied clients, recursion (each name
// new, so it reaches the upstream), authoritative and reverse data (RFC
// 2317 CNAMEs), stub-zone names, CH probes masked and revealed.
var soakKinds = []soakKind{
	{"recursion", hardeningOffice, "udp", func(n uint64) *dns.Msg {
		return soakQ(fmt.Sprintf("h%d.outside.test.", n), dns.TypeA, dns.ClassINET)
	}, dns.RcodeSuccess, 1},
	{"recursion tcp", "127.0.0.11", "tcp", func(n uint64) *dns.Msg {
		return soakQ(fmt.Sprintf("t%d.outside.test.", n), dns.TypeA, dns.ClassINET)
	}, dns.RcodeSuccess, 1},
	{"recursion denied", hardeningStranger, "udp", func(n uint64) *dns.Msg {
		return soakQ(fmt.Sprintf("d%d.outside.test.", n), dns.TypeA, dns.ClassINET)
	}, dns.RcodeRefused, 0},
	{"authoritative", "127.0.0.98", "udp", func(uint64) *dns.Msg { return soakQ("www.example.org.", dns.TypeA, dns.ClassINET) }, dns.RcodeSuccess, 1},
	{"nxdomain", "127.0.0.97", "udp", func(n uint64) *dns.Msg {
		return soakQ(fmt.Sprintf("nx%d.example.org.", n), dns.TypeA, dns.ClassINET)
	}, dns.RcodeNameError, 0},
	{"reverse rfc2317", "127.0.0.96", "udp", func(n uint64) *dns.Msg {
		return soakQ(fmt.Sprintf("%d.2.0.192.in-addr.arpa.", n%8), dns.TypePTR, dns.ClassINET)
	}, dns.RcodeSuccess, 1},
	{"reverse", "127.0.0.12", "udp", func(uint64) *dns.Msg { return soakQ("80.2.0.192.in-addr.arpa.", dns.TypePTR, dns.ClassINET) }, dns.RcodeSuccess, 1},
	{"stub zone", "127.0.0.13", "udp", func(n uint64) *dns.Msg {
		return soakQ([]string{"www.corp.example.", "mail.corp.example."}[n%2], dns.TypeA, dns.ClassINET)
	}, dns.RcodeSuccess, 1},
	{"stub zone denied", "127.0.0.95", "udp", func(uint64) *dns.Msg { return soakQ("www.corp.example.", dns.TypeA, dns.ClassINET) }, dns.RcodeRefused, 0},
	{"CH masked", "127.0.0.94", "udp", func(n uint64) *dns.Msg {
		return soakQ([]string{"version.bind.", "hostname.bind.", "id.server."}[n%3], dns.TypeTXT, dns.ClassCHAOS)
	}, dns.RcodeSuccess, 0},
	{"CH revealed", hardeningOperator, "udp", func(uint64) *dns.Msg { return soakQ("version.bind.", dns.TypeTXT, dns.ClassCHAOS) }, dns.RcodeSuccess, 1},
}

// soakCount is what one kind got.
type soakCount struct {
	sent, answered, wrong, unanswered atomic.Int64
	firstWrong                        atomic.Pointer[string]
}

// TestSoak runs the mixed load through all six plugins for the soak's
// length, then checks: every query answered, each as its kind must be;
// no SERVFAIL, no panic, no error logged; querylog wrote every record it
// made and dropped none; resident memory flat after warm-up; goroutines and
// file descriptors back where they were.
func TestSoak(t *testing.T) {
	length := soakDefault
	if s := os.Getenv("COREBIND_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 10*time.Second {
			t.Fatalf("COREBIND_SOAK=%q: want a duration of at least 10s", s)
		}
		length = d
	}
	warmup := max(10*time.Second, length/10)

	e := hardeningStart(t, hardeningOptions{})
	start := e.Usage(t)
	// What happened while the stub zone loaded is not the soak's.
	logStart := len(e.Core.Output())
	servfailStart := testkit.Scrape(t, e.Metrics).Sum("coredns_dns_responses_total", `rcode="SERVFAIL"`)
	counts := make([]soakCount, len(soakKinds))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, k := range soakKinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			soakClient(t, e.Addr, k, &counts[i], time.Duration(len(soakKinds))*time.Second/soakRate, stop)
		}()
	}

	// Samples of the server's usage, every 5% of the run.
	type sample struct {
		at time.Duration
		u  testkit.Usage
	}
	var samples []sample
	began := time.Now()
	var warm testkit.Usage
	for time.Since(began) < length {
		time.Sleep(min(length/20, time.Until(began.Add(length))))
		u := e.Usage(t)
		samples = append(samples, sample{time.Since(began).Round(time.Second), u})
		if warm.RSSKiB == 0 && time.Since(began) >= warmup {
			warm = u
		}
		if e.Core.Exited() {
			t.Fatalf("corebind exited during the soak:\n%s", e.Core.Output())
		}
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(began)

	// Let querylog's writer drain, then read what the server counted.
	time.Sleep(2 * time.Second)
	end := e.Usage(t)
	m := testkit.Scrape(t, e.Metrics)
	records, dropped := m.Sum("coredns_querylog_records_total"), m.Sum("coredns_querylog_dropped_total")
	servfail := m.Sum("coredns_dns_responses_total", `rcode="SERVFAIL"`) - servfailStart

	var sent, answered, wrong, unanswered int64
	for i, k := range soakKinds {
		c := &counts[i]
		sent += c.sent.Load()
		answered += c.answered.Load()
		wrong += c.wrong.Load()
		unanswered += c.unanswered.Load()
		t.Logf("  %-18s from %-11s %s: %8d sent, %8d answered, %d wrong, %d unanswered", k.name, k.from, k.network, c.sent.Load(), c.answered.Load(), c.wrong.Load(), c.unanswered.Load())
		if p := c.firstWrong.Load(); p != nil {
			t.Errorf("%s: %s", k.name, *p)
		}
	}
	maxRSS := 0
	for _, s := range samples {
		if s.at >= warmup {
			maxRSS = max(maxRSS, s.u.RSSKiB)
		}
		t.Logf("  t=%-5v %v", s.at, s.u)
	}

	if err := e.Core.Stop(); err != nil {
		t.Errorf("corebind did not stop cleanly: %v", err)
	}
	logged := hardeningLines(t, filepath.Join(e.Core.Dir, "queries.log"), " queries: info: client @0x")

	t.Logf("soak of %v at %d queries/s: %d queries sent, %d answered, %d wrong answers, %d unanswered (%.0f answered/s)",
		elapsed.Round(time.Second), soakRate, sent, answered, wrong, unanswered, float64(answered)/elapsed.Seconds())
	t.Logf("server: %.0f SERVFAIL, querylog %.0f records (%.0f dropped), %d query lines in the file", servfail, records, dropped, logged)
	t.Logf("memory: %.1f MiB at start, %.1f MiB after warm-up (%v), %.1f MiB at most after it, %.1f MiB at end",
		soakMiB(start.RSSKiB), soakMiB(warm.RSSKiB), warmup, soakMiB(maxRSS), soakMiB(end.RSSKiB))
	t.Logf("goroutines: %d at start, %d at end; file descriptors: %d at start, %d at end",
		start.Goroutines, end.Goroutines, start.FDs, end.FDs)

	if sent == 0 || wrong != 0 || unanswered != 0 || answered != sent {
		t.Errorf("%d queries sent: %d answered, %d wrong, %d unanswered", sent, answered, wrong, unanswered)
	}
	if servfail != 0 {
		t.Errorf("the server answered %v queries SERVFAIL", servfail)
	}
	if p := m.Sum("coredns_panics_total"); p != 0 {
		t.Errorf("coredns_panics_total = %v", p)
	}
	if out := e.Core.Output()[logStart:]; strings.Contains(out, "[ERROR]") || strings.Contains(out, "panic") {
		t.Errorf("corebind logged errors:\n%s", out)
	}
	if dropped != 0 || float64(logged) != records {
		t.Errorf("querylog made %v records, dropped %v, and the file holds %d query lines", records, dropped, logged)
	}
	// Flat: the most after warm-up within a quarter (and 16 MiB for the
	// garbage collector's rhythm) of the warm-up's.
	if limit := warm.RSSKiB*5/4 + 16*1024; maxRSS > limit {
		t.Errorf("resident memory grew after warm-up: %.1f MiB at %v, up to %.1f MiB later", soakMiB(warm.RSSKiB), warmup, soakMiB(maxRSS))
	}
	if end.Goroutines > start.Goroutines+10 || end.FDs > start.FDs+5 {
		t.Errorf("goroutines %d → %d, fds %d → %d: not back where they were", start.Goroutines, end.Goroutines, start.FDs, end.FDs)
	}
}

func soakMiB(kib int) float64 { return float64(kib) / 1024 }

// soakClient sends kind's queries every interval (each waiting for its
// reply, up to 3 seconds) until stop is closed, and counts the outcomes.
func soakClient(t *testing.T, addr string, k soakKind, c *soakCount, interval time.Duration, stop <-chan struct{}) {
	client := &dns.Client{Net: k.network, Timeout: 3 * time.Second}
	if k.network == "tcp" {
		client.Dialer = &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(k.from)}, Timeout: 3 * time.Second}
	} else {
		client.Dialer = &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(k.from)}, Timeout: 3 * time.Second}
	}
	var conn *dns.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n := rand.Uint64N(1 << 20); ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if conn == nil {
			var err error
			if conn, err = client.Dial(addr); err != nil {
				c.sent.Add(1)
				c.unanswered.Add(1)
				msg := fmt.Sprintf("dial: %v", err)
				c.firstWrong.CompareAndSwap(nil, &msg)
				continue
			}
		}
		q := k.msg(n)
		c.sent.Add(1)
		r, _, err := client.ExchangeWithConn(q, conn)
		if err != nil {
			c.unanswered.Add(1)
			msg := fmt.Sprintf("%s: %v", q.Question[0].String(), err)
			c.firstWrong.CompareAndSwap(nil, &msg)
			conn.Close() // a late reply must not answer the next query
			conn = nil
			continue
		}
		c.answered.Add(1)
		if r.Rcode != k.rcode || len(r.Answer) != k.answers {
			c.wrong.Add(1)
			msg := fmt.Sprintf("%s: got %s with %d answers, want %s with %d", q.Question[0].String(),
				dns.RcodeToString[r.Rcode], len(r.Answer), dns.RcodeToString[k.rcode], k.answers)
			c.firstWrong.CompareAndSwap(nil, &msg)
		}
	}
}

// hardeningLines counts the lines of the file at path that hold s.
func hardeningLines(t testing.TB, path, s string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), s)
}
