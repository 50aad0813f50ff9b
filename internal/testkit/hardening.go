package testkit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Usage is what a process holds at one moment, read from /proc and from
// its pprof endpoint.
type Usage struct {
	RSSKiB     int // VmRSS
	Threads    int
	FDs        int // entries of /proc/PID/fd
	Goroutines int // -1 when no pprof address was given
}

func (u Usage) String() string {
	return fmt.Sprintf("rss %.1f MiB, %d goroutines, %d fds, %d threads", float64(u.RSSKiB)/1024, u.Goroutines, u.FDs, u.Threads)
}

// ReadUsage reads the usage of process pid; pprof is the address of its
// pprof plugin ("" = do not count goroutines).
func ReadUsage(t testing.TB, pid int, pprof string) Usage {
	t.Helper()
	u := Usage{Goroutines: -1}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			u.RSSKiB, _ = strconv.Atoi(f[0])
		case "Threads":
			u.Threads, _ = strconv.Atoi(f[0])
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	u.FDs = len(fds)
	if pprof != "" {
		u.Goroutines = Goroutines(t, pprof)
	}
	return u
}

var goroutineTotal = regexp.MustCompile(`goroutine profile: total (\d+)`)

// Goroutines is the number of goroutines the pprof plugin listening on addr
// reports (/debug/pprof/goroutine?debug=1), less those internal/stackstart
// parks: their number follows the others' by design, so a leak check that
// counted them would see every extra goroutine twice.
func Goroutines(t testing.TB, addr string) int {
	t.Helper()
	body := HTTPGet(t, "http://"+addr+"/debug/pprof/goroutine?debug=1")
	m := goroutineTotal.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("testkit: no goroutine total from %s:\n%.300s", addr, body)
	}
	n, _ := strconv.Atoi(m[1])
	// The profile groups goroutines by stack, one group per paragraph: a
	// line "COUNT @ PCS" and its frames.
	for _, group := range strings.Split(body, "\n\n") {
		if c := goroutineGroup.FindStringSubmatch(group); c != nil && strings.Contains(group, "internal/stackstart.park") {
			parked, _ := strconv.Atoi(c[1])
			n -= parked
		}
	}
	return n
}

var goroutineGroup = regexp.MustCompile(`(?m)^(\d+) @ `)

// HTTPGet returns the body of a GET of url (a loopback address); anything
// but 200 fails the test.
func HTTPGet(t testing.TB, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("testkit: GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("testkit: GET %s: %v %s", url, err, resp.Status)
	}
	return string(b)
}

// GetJSON decodes the JSON body of a GET of url (a loopback address) into
// v; anything but 200 and a well-formed document fails the test.
func GetJSON(t testing.TB, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(HTTPGet(t, url)), v); err != nil {
		t.Fatalf("testkit: GET %s: %v", url, err)
	}
}

// Metrics is a scrape of a prometheus endpoint: series (name{labels} as
// exposed) to value.
type Metrics map[string]float64

// Scrape reads the prometheus plugin listening on addr.
func Scrape(t testing.TB, addr string) Metrics {
	t.Helper()
	m := Metrics{}
	sc := bufio.NewScanner(strings.NewReader(HTTPGet(t, "http://"+addr+"/metrics")))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	return m
}

// Sum adds the series of metric name whose labels include every
// label="value" pair given, e.g. m.Sum("coredns_dns_responses_total",
// `rcode="SERVFAIL"`).
func (m Metrics) Sum(name string, labels ...string) float64 {
	var sum float64
	for series, v := range m {
		n, rest, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				ok = false
				break
			}
		}
		if ok {
			sum += v
		}
	}
	return sum
}

// RaiseFDLimit raises this process's open-file limit to at least n (up to
// the hard limit, which root may raise too), for tests that open thousands
// of connections.
func RaiseFDLimit(t testing.TB, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("testkit: getrlimit: %v", err)
	}
	if lim.Cur >= n {
		return
	}
	lim.Cur = n
	if lim.Max < n {
		lim.Max = n
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("testkit: raising the open-file limit to %d: %v", n, err)
	}
}

// Eventually polls cond every 50ms until it is true or d has passed, and
// reports whether it became true. Tests poll instead of sleeping a fixed
// time: a loaded 2-core machine makes every fixed sleep a flake.
func Eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// StartCoreDNSBinary is StartCoreDNS with another binary than the one
// under test, e.g. upstream CoreDNS built by ./build.sh vanilla, to measure
// what CoreDNS itself does under the same load.
func StartCoreDNSBinary(t testing.TB, bin, corefile string, opts CoreDNSOptions) *CoreDNS {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Corefile")
	WriteFile(t, path, corefile)
	for name, content := range opts.Files {
		WriteFile(t, filepath.Join(dir, name), content)
	}
	cmd := opts.Netns.Command(bin, append([]string{"-conf", path}, opts.Args...)...)
	cmd.Dir = dir
	c := &CoreDNS{Proc: start(t, filepath.Base(bin), cmd), Dir: dir, Corefile: path}
	if opts.Wait != "" {
		WaitDNS(t, opts.Netns, opts.Wait, c.Proc)
	}
	return c
}

// DNSPerf is a running dnsperf.
type DNSPerf struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// StartDNSPerf runs dnsperf with args (-s, -p, -d, -Q ...) until Stop.
func StartDNSPerf(t testing.TB, args ...string) *DNSPerf {
	t.Helper()
	Require(t, "dnsperf")
	p := &DNSPerf{cmd: exec.Command("dnsperf", args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("testkit: starting dnsperf: %v", err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// PerfResult is what dnsperf reports.
type PerfResult struct {
	Sent, Completed, Lost int
	Rcodes                map[string]int
	QPS                   float64
	Output                string
}

var (
	perfCount = regexp.MustCompile(`Queries (sent|completed|lost):\s+(\d+)`)
	perfRcode = regexp.MustCompile(`([A-Z]+) (\d+) \(`)
	perfQPS   = regexp.MustCompile(`Queries per second:\s+([\d.]+)`)
)

// Stop interrupts dnsperf (it then reports) and returns its statistics.
func (p *DNSPerf) Stop(t testing.TB) PerfResult {
	t.Helper()
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGINT)
	}
	return p.Wait(t, time.Minute)
}

// Wait waits up to d for dnsperf to end by itself (its -l) and returns its
// statistics.
func (p *DNSPerf) Wait(t testing.TB, d time.Duration) PerfResult {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("testkit: dnsperf still running after %v:\n%s", d, p.out.String())
	}
	r := PerfResult{Rcodes: map[string]int{}, Output: p.out.String()}
	for _, m := range perfCount.FindAllStringSubmatch(r.Output, -1) {
		n, _ := strconv.Atoi(m[2])
		switch m[1] {
		case "sent":
			r.Sent = n
		case "completed":
			r.Completed = n
		case "lost":
			r.Lost = n
		}
	}
	if _, codes, ok := strings.Cut(r.Output, "Response codes:"); ok {
		codes, _, _ = strings.Cut(codes, "\n")
		for _, m := range perfRcode.FindAllStringSubmatch(codes, -1) {
			r.Rcodes[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	if m := perfQPS.FindStringSubmatch(r.Output); m != nil {
		r.QPS, _ = strconv.ParseFloat(m[1], 64)
	}
	if r.Sent == 0 {
		t.Fatalf("testkit: dnsperf sent nothing:\n%s", r.Output)
	}
	return r
}
