package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/miekg/dns"
)

// The failure tests break one peer or resource of the deployment at a time
// and check: the names that do not depend on it keep being answered, at
// their usual speed (a generous bound: a loaded 2-core machine is noisy);
// those that do fail the documented way; recovery needs no hand; the
// metrics count what happened.

// failureUnaffected are the names no peer failure may touch: authoritative
// data, RFC 2317 reverse names, CH answers.
var failureUnaffected = []hardeningProbe{hardeningProbes[2], hardeningProbes[4], hardeningProbes[5], hardeningProbes[6]}

// failureLatency sends each probe 10 times over UDP, fails the test for
// any wrong answer, and returns the median time.
func failureLatency(t *testing.T, addr string, probes []hardeningProbe) time.Duration {
	t.Helper()
	var times []time.Duration
	for range 10 {
		for _, p := range probes {
			begin := time.Now()
			r, err := testkit.TryExchange("udp", p.from, addr, p.msg())
			times = append(times, time.Since(begin))
			if err != nil {
				t.Errorf("%s from %s: %v", p.name, p.from, err)
				continue
			}
			if err := p.check(r); err != nil {
				t.Errorf("%s from %s: %v", p.name, p.from, err)
			}
		}
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// failureSameSpeed fails the test when the unaffected names got slow: a
// median more than ten times the healthy one and 50ms over it.
func failureSameSpeed(t *testing.T, what string, addr string, healthy time.Duration) {
	t.Helper()
	got := failureLatency(t, addr, failureUnaffected)
	t.Logf("%s: unaffected names answered in %v (median; %v when healthy)", what, got, healthy)
	if got > 10*healthy+50*time.Millisecond {
		t.Errorf("%s: unaffected names take %v (median), %v when healthy", what, got, healthy)
	}
}

// failureFlood sends a dnsperf load from an office client at rate for secs
// and fails the test if any query went unanswered.
func failureFlood(t *testing.T, addr string, rate, secs int) testkit.PerfResult {
	t.Helper()
	queries := filepath.Join(t.TempDir(), "flood.txt")
	if err := os.WriteFile(queries, []byte("www.example.org A\n80.2.0.192.in-addr.arpa PTR\nwww.example.org AAAA\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port := hardeningSplit(addr)
	r := testkit.StartDNSPerf(t, "-s", host, "-p", port, "-a", hardeningOffice, "-d", queries,
		"-l", strconv.Itoa(secs), "-Q", strconv.Itoa(rate), "-c", "4", "-t", "5").Wait(t, time.Duration(secs)*time.Second+time.Minute)
	t.Logf("flood: %d sent, %d lost, %.0f queries/s", r.Sent, r.Lost, r.QPS)
	if r.Lost != 0 {
		t.Errorf("flood: %d of %d queries lost", r.Lost, r.Sent)
	}
	return r
}

// failureMount mounts a tmpfs of size at a new directory and unmounts it
// when the test ends, after every process the test started later (cleanups
// run last-in first-out).
func failureMount(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs on %s: %v\n%s", dir, err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// failureWait polls cond for up to d, failing the test with what when it
// never holds.
func failureWait(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !testkit.Eventually(d, cond) {
		t.Fatalf("%s: not within %v", what, d)
	}
}

// syslogReceiver is a syslog collector over TCP (RFC 6587 octet counting)
// that a test can pause (it stops reading), kill and bring back.
type syslogReceiver struct {
	addr   string
	frames atomic.Int64 // messages received
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	paused chan struct{} // closed while reading
}

func startSyslogReceiver(t *testing.T) *syslogReceiver {
	t.Helper()
	s := &syslogReceiver{addr: testkit.HostPort("127.0.0.1", testkit.FreePort(t)), paused: make(chan struct{})}
	close(s.paused)
	s.listen(t)
	t.Cleanup(s.kill)
	return s
}

func (s *syslogReceiver) listen(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		t.Fatalf("syslog receiver: %v", err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			go s.read(c)
		}
	}()
}

// read counts octet-counted frames, blocking while paused.
func (s *syslogReceiver) read(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		s.mu.Lock()
		gate := s.paused
		s.mu.Unlock()
		<-gate
		if _, err := testkit.ReadOctetCounted(br); err != nil {
			return
		}
		s.frames.Add(1)
	}
}

// pause stops reading (the connection stays open: a collector that hangs).
func (s *syslogReceiver) pause() {
	s.mu.Lock()
	s.paused = make(chan struct{})
	s.mu.Unlock()
}

// kill closes the listener and every connection: the collector is gone.
func (s *syslogReceiver) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
	select {
	case <-s.paused:
	default:
		close(s.paused)
	}
}

// TestHardeningSyslogCollector: querylog sends to a syslog collector over
// TCP that stops reading, then disappears, then comes back. Queries are
// answered at their usual speed throughout; the records that cannot be
// written are dropped and counted, the failed writes and connection
// attempts too; once the collector is back, records reach it again.
func TestHardeningSyslogCollector(t *testing.T) {
	recv := startSyslogReceiver(t)
	e := hardeningStart(t, hardeningOptions{Querylog: "output syslog tcp://" + recv.addr + "\n\t\tformat json\n\t\tbuffer 1000"})
	healthy := failureLatency(t, e.Addr, failureUnaffected)
	failureWait(t, 20*time.Second, "records reach the collector", func() bool { return recv.frames.Load() >= 40 })

	// The collector hangs: it accepts but reads nothing.
	recv.pause()
	failureFlood(t, e.Addr, 10000, 6)
	failureSameSpeed(t, "collector not reading", e.Addr, healthy)
	m := testkit.Scrape(t, e.Metrics)
	if m.Sum("coredns_querylog_dropped_total") == 0 {
		t.Errorf("no record counted as dropped while the collector did not read (records %v)", m.Sum("coredns_querylog_records_total"))
	}

	// The collector is gone.
	recv.kill()
	errs := m.Sum("coredns_querylog_write_errors_total")
	failureFlood(t, e.Addr, 2000, 3)
	failureSameSpeed(t, "collector gone", e.Addr, healthy)
	failureWait(t, 30*time.Second, "write errors counted while the collector is gone", func() bool {
		return testkit.Scrape(t, e.Metrics).Sum("coredns_querylog_write_errors_total") > errs
	})

	// It comes back: querylog reconnects (its backoff tops out at 30s).
	before := recv.frames.Load()
	recv.listen(t)
	failureWait(t, 60*time.Second, "records reach the collector again", func() bool {
		testkit.TryExchange("udp", hardeningOffice, e.Addr, hardeningQuestion("www.example.org.", dns.TypeA))
		return recv.frames.Load() > before
	})
	m = testkit.Scrape(t, e.Metrics)
	t.Logf("querylog: %v records, %v dropped, %v write errors; the collector got %d",
		m.Sum("coredns_querylog_records_total"), m.Sum("coredns_querylog_dropped_total"), m.Sum("coredns_querylog_write_errors_total"), recv.frames.Load())
}

// TestHardeningQuerylogFile: querylog's file is deleted, then its file
// system fills up, then space comes back. Queries are answered at their
// usual speed throughout; the file is created again; what cannot be
// written is counted; writing resumes by itself.
func TestHardeningQuerylogFile(t *testing.T) {
	dir := failureMount(t, "2m")
	path := filepath.Join(dir, "queries.log")
	e := hardeningStart(t, hardeningOptions{Querylog: "output file " + path + "\n\t\tbuffer 1000"})
	healthy := failureLatency(t, e.Addr, failureUnaffected)
	marked := func(mark string) func() bool {
		return func() bool {
			testkit.TryExchange("udp", hardeningOffice, e.Addr, hardeningQuestion(mark+".example.org.", dns.TypeA))
			data, _ := os.ReadFile(path)
			return strings.Contains(string(data), mark)
		}
	}
	failureWait(t, 10*time.Second, "the query log is written", marked("first"))

	// Deleted (logrotate without copytruncate, or a careless operator):
	// querylog notices within a second or two and creates it again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	failureWait(t, 15*time.Second, "the deleted query log is created again", marked("after-delete"))

	// The file system fills up.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 64<<10)); err != nil {
			break // ENOSPC
		}
	}
	f.Close()
	errs := testkit.Scrape(t, e.Metrics).Sum("coredns_querylog_write_errors_total")
	failureFlood(t, e.Addr, 5000, 4)
	failureSameSpeed(t, "disk full", e.Addr, healthy)
	failureWait(t, 15*time.Second, "write errors counted on a full disk", func() bool {
		return testkit.Scrape(t, e.Metrics).Sum("coredns_querylog_write_errors_total") > errs
	})
	m := testkit.Scrape(t, e.Metrics)
	if m.Sum("coredns_querylog_dropped_total") == 0 {
		t.Errorf("no record counted as dropped on a full disk")
	}

	// Space again: writing resumes by itself.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	failureWait(t, 20*time.Second, "the query log is written again once there is space", marked("after-full"))
	m = testkit.Scrape(t, e.Metrics)
	t.Logf("querylog: %v records, %v dropped, %v write errors", m.Sum("coredns_querylog_records_total"),
		m.Sum("coredns_querylog_dropped_total"), m.Sum("coredns_querylog_write_errors_total"))
}

// TestHardeningUpstreamGone: the BIND behind forward stops. Recursion gets
// SERVFAIL (forward has no upstream); every other name keeps its speed;
// when BIND is back, recursion works again by itself.
func TestHardeningUpstreamGone(t *testing.T) {
	e := hardeningStart(t, hardeningOptions{})
	healthy := failureLatency(t, e.Addr, append(failureUnaffected, hardeningProbes[3]))
	before := testkit.Scrape(t, e.Metrics)

	if err := e.Upstream.Stop(); err != nil {
		t.Logf("named exit: %v", err)
	}
	for i := range 5 {
		r, err := testkit.TryExchange("udp", hardeningOffice, e.Addr, hardeningQuestion(fmt.Sprintf("gone%d.outside.test.", i), dns.TypeA))
		if err != nil || r.Rcode != dns.RcodeServerFailure {
			t.Errorf("recursion with the upstream gone: got %v, %v; want SERVFAIL", r, err)
		}
	}
	// Stub zones do not go through forward.
	failureSameSpeed(t, "upstream gone", e.Addr, healthy)
	if got := failureLatency(t, e.Addr, []hardeningProbe{hardeningProbes[3]}); got > 10*healthy+50*time.Millisecond {
		t.Errorf("stub zone names take %v with the upstream gone", got)
	}
	after := testkit.Scrape(t, e.Metrics)
	if after.Sum("coredns_dns_responses_total", `rcode="SERVFAIL"`) < before.Sum("coredns_dns_responses_total", `rcode="SERVFAIL"`)+5 {
		t.Errorf("the SERVFAILs are not counted")
	}

	e.Upstream.Start()
	failureWait(t, 30*time.Second, "recursion works again once the upstream is back", func() bool {
		r, err := testkit.TryExchange("udp", hardeningOffice, e.Addr, hardeningQuestion("back.outside.test.", dns.TypeA))
		return err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1
	})
	hardeningCheck(t, "udp", e.Addr)
}

// primaryProxy stands between stubzones and its BIND primary, over UDP and
// TCP, and can make the primary slow or make it lie.
type primaryProxy struct {
	addr    string
	backend string
	mode    atomic.Int32 // proxyPass, proxySlow, proxyLie
}

const (
	proxyPass = iota
	proxySlow // answers after 5 seconds, later than stubzones waits
	proxyLie  // answers without AA: not from the zone's authority
)

func startPrimaryProxy(t *testing.T, backend string) *primaryProxy {
	t.Helper()
	p := &primaryProxy{backend: backend}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		mode := p.mode.Load()
		if mode == proxySlow {
			time.Sleep(5 * time.Second)
		}
		// Ask the backend over the transport the query came in on.
		c := &dns.Client{Net: w.RemoteAddr().Network(), Timeout: 3 * time.Second}
		reply, _, err := c.Exchange(r, p.backend)
		if err != nil {
			return
		}
		if mode == proxyLie {
			reply.Authoritative = false
		}
		w.WriteMsg(reply)
	})
	p.addr = testkit.HostPort("127.0.0.1", testkit.ServeDNS(t, "127.0.0.1", 0, h, nil))
	return p
}

// TestHardeningStubPrimary: stubzones' BIND primary answers slowly, lies,
// stops, and the stub zone's dir becomes read-only. The zone's name server
// (another BIND) stays up, so the stub names keep being resolved through it
// until the data expires (SOA expire, 15 seconds here), and then get
// SERVFAIL (names the cache holds are answered from it until their TTL, as
// BIND's would be: the test asks for new names each time); every refresh that fails is counted; when the primary is back
// the zone recovers by itself. With dir read-only, a new serial is still
// taken and served, the old copy on disk stays whole, and the copy is
// written again once dir is writable.
func TestHardeningStubPrimary(t *testing.T) {
	dir := failureMount(t, "1m")
	corp := hardeningCorp(1, 2, 1, 15)
	var ns *testkit.Named
	var proxy *primaryProxy
	e := hardeningStart(t, hardeningOptions{
		Corp:    corp,
		StubDir: dir,
		BeforeCore: func(e *hardeningEnv) {
			ns = testkit.StartNamed(t, testkit.NamedOptions{
				Conf:  `zone "corp.example" { type primary; file "corp.example.db"; };`,
				Files: map[string]string{"corp.example.db": corp},
			})
			proxy = startPrimaryProxy(t, e.Primary.Addr)
			e.Primaries = proxy.addr
			_, e.NSPort = hardeningSplit(ns.Addr)
		},
	})
	// stubRcode asks for a name never asked before in the stub zone (so no
	// cache answers it) and returns the rcode: NXDOMAIN from the zone's
	// name server while the stub data is in use.
	var asked atomic.Int64
	stubRcode := func() int {
		name := fmt.Sprintf("new%d.corp.example.", asked.Add(1))
		r, err := testkit.TryExchange("udp", hardeningOffice, e.Addr, hardeningQuestion(name, dns.TypeA))
		if err != nil {
			return -1
		}
		return r.Rcode
	}
	stubServed := func(what string) {
		t.Helper()
		if rc := stubRcode(); rc != dns.RcodeNameError {
			t.Errorf("%s: a new stub zone name got %s, want NXDOMAIN from the zone's name server", what, dns.RcodeToString[rc])
		}
	}
	healthy := failureLatency(t, e.Addr, failureUnaffected)
	failed := func() float64 {
		return testkit.Scrape(t, e.Metrics).Sum("coredns_stubzones_refresh_total", `result="failed"`)
	}
	// refreshed waits for n more failed refreshes (n > 0) or for a
	// successful one (n == 0).
	refreshed := func(what string, n float64) {
		t.Helper()
		f0 := failed()
		ok0 := testkit.Scrape(t, e.Metrics).Sum("coredns_stubzones_refresh_total") - f0
		failureWait(t, 30*time.Second, what, func() bool {
			m := testkit.Scrape(t, e.Metrics)
			f := m.Sum("coredns_stubzones_refresh_total", `result="failed"`)
			if n > 0 {
				return f >= f0+n
			}
			return m.Sum("coredns_stubzones_refresh_total")-f > ok0
		})
	}

	for _, c := range []struct {
		name string
		mode int32
	}{{"slow primary", proxySlow}, {"lying primary", proxyLie}} {
		proxy.mode.Store(c.mode)
		refreshed(c.name+": refreshes fail and are counted", 2)
		// Within expire: the stub data is still served.
		stubServed(c.name)
		failureSameSpeed(t, c.name, e.Addr, healthy)
		proxy.mode.Store(proxyPass)
		refreshed(c.name+": refreshes succeed again", 0)
	}

	// The primary stops: served until expire, then SERVFAIL.
	if err := e.Primary.Stop(); err != nil {
		t.Logf("named exit: %v", err)
	}
	stubServed("primary stopped")
	failureWait(t, 45*time.Second, "stub names get SERVFAIL once the zone expired", func() bool {
		return stubRcode() == dns.RcodeServerFailure
	})
	failureSameSpeed(t, "primary gone, stub zone expired", e.Addr, healthy)
	// Once expired, the failed refreshes no longer claim to be serving
	// (they did: "serving serial 1 until" a time gone by).
	failureWait(t, 30*time.Second, "the expiry is logged", func() bool { return strings.Contains(e.Core.Output(), "expired: no primary answered") })
	refreshed("refreshes fail after expiry", 1)
	out := e.Core.Output()
	if after := out[strings.LastIndex(out, "expired: no primary answered"):]; strings.Contains(after, "serving serial") || !strings.Contains(after, "refresh failed, expired since") {
		t.Errorf("failed refreshes of the expired zone are logged as serving it:\n%s", after)
	}
	e.Primary.Start()
	failureWait(t, 30*time.Second, "the stub zone recovers once its primary is back", func() bool {
		return stubRcode() == dns.RcodeNameError
	})

	// dir read-only: a new serial is taken and served all the same.
	saved := func() string {
		var all []string
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, en.Name()))
			all = append(all, string(b))
		}
		return strings.Join(all, "\n")
	}
	if !strings.Contains(saved(), "hostmaster.corp.example. 1 ") {
		t.Fatalf("no saved copy of serial 1 in %s:\n%s", dir, saved())
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v\n%s", err, out)
	}
	corp2 := strings.Replace(hardeningCorp(2, 2, 1, 15), "10.1.0.25", "10.1.0.26", 1)
	for _, n := range []*testkit.Named{e.Primary, ns} {
		n.WriteFile("corp.example.db", corp2)
		n.Reload()
	}
	failureWait(t, 30*time.Second, "serial 2 taken with dir read-only", func() bool {
		return testkit.Scrape(t, e.Metrics).Sum("coredns_stubzones_serial") == 2
	})
	stubServed("dir read-only")
	failureWait(t, 15*time.Second, "the failed save is reported", func() bool { return strings.Contains(e.Core.Output(), "read-only file system") })
	failureWait(t, 15*time.Second, "the failed save is counted", func() bool {
		return testkit.Scrape(t, e.Metrics).Sum("coredns_stubzones_save_errors_total") >= 1
	})
	if s := saved(); !strings.Contains(s, "hostmaster.corp.example. 1 ") {
		t.Errorf("the saved copy of serial 1 did not survive dir becoming read-only:\n%s", s)
	}
	failureSameSpeed(t, "dir read-only", e.Addr, healthy)
	if out, err := exec.Command("mount", "-o", "remount,rw", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount rw: %v\n%s", err, out)
	}
	failureWait(t, 30*time.Second, "serial 2 saved once dir is writable", func() bool {
		return strings.Contains(saved(), "hostmaster.corp.example. 2 ")
	})
	m := testkit.Scrape(t, e.Metrics)
	t.Logf("stubzones: refreshes %v (failed %v)", m.Sum("coredns_stubzones_refresh_total"), m.Sum("coredns_stubzones_refresh_total", `result="failed"`))
}
