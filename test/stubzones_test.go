package test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coredns/caddy"
	ctest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebind/corebind/internal/testkit"
)

// The zones the stub zone corp.test's name servers serve: corp.test on
// 127.0.0.41 with its only name server's name outside the zone, and
// dept.corp.test delegated to 127.0.0.42. Both are served by a second
// in-process CoreDNS with the file plugin, the port shared, as a name
// server's port is.
const (
	stubCorpZone = `$TTL 300
@        IN SOA ns.outside.test. hostmaster.corp.test. %d 2 1 20 30
@        IN NS  ns.outside.test.
www      IN A   192.0.2.10
far      IN CNAME www.outside.test.
dept     IN NS  ns.dept
ns.dept  IN A   127.0.0.42
`
	stubDeptZone = `$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 30
@        IN NS  ns
ns       IN A   127.0.0.42
host     IN A   192.0.2.11
`
	// Served by the server under test itself, for what the stub zone
	// hands back to it.
	stubOutsideZone = `$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 30
@        IN NS  ns
ns       IN A   127.0.0.41
www      IN A   192.0.2.12
`
)

type stubEnv struct {
	dir       string // zone files and the stub copies
	port      int    // of the name servers
	auth      *caddy.Instance
	authInput string
}

// startStubAuth starts the name servers of corp.test with the given serial.
func startStubAuth(t *testing.T, serial int) *stubEnv {
	t.Helper()
	env := newStubEnv(t, serial)
	env.start(t)
	return env
}

// newStubEnv writes the zone files and picks the name servers' port.
func newStubEnv(t *testing.T, serial int) *stubEnv {
	t.Helper()
	env := &stubEnv{dir: t.TempDir()}
	env.port = stubFreePort(t, "127.0.0.41", "127.0.0.42")
	env.writeCorp(t, serial)
	testkit.WriteFile(t, filepath.Join(env.dir, "dept.corp.test.db"), stubDeptZone)
	testkit.WriteFile(t, filepath.Join(env.dir, "outside.test.db"), stubOutsideZone)
	env.authInput = fmt.Sprintf(`corp.test:%[1]d {
	bind 127.0.0.41
	file %[2]s/corp.test.db {
		reload 200ms
	}
}
dept.corp.test:%[1]d {
	bind 127.0.0.42
	file %[2]s/dept.corp.test.db
}
`, env.port, env.dir)
	return env
}

// start starts the name servers.
func (env *stubEnv) start(t *testing.T) {
	t.Helper()
	i, err := ctest.CoreDNSServer(env.authInput)
	if err != nil {
		t.Fatalf("name servers: %v", err)
	}
	env.auth = i
	t.Cleanup(func() { stubStop(i) })
}

func (env *stubEnv) writeCorp(t *testing.T, serial int) {
	t.Helper()
	testkit.WriteFile(t, filepath.Join(env.dir, "corp.test.db"), fmt.Sprintf(stubCorpZone, serial))
}

// corefile is the server under test: corp.test as a stub zone, outside.test
// from a file, and everything else forwarded to fwd.
func (env *stubEnv) corefile(fwd string) string {
	return fmt.Sprintf(`.:0 {
	stubzones corp.test {
		primaries 127.0.0.41:%[1]d
		port %[1]d
		dir %[2]s/stubs
		refresh-min 1s
	}
	forward . %[3]s
}
outside.test:0 {
	file %[2]s/outside.test.db
}
`, env.port, env.dir, fwd)
}

// stubStop stops i and runs its shutdown callbacks, once: the file
// plugin's hang when run twice, and a reload has run the old instance's.
func stubStop(i *caddy.Instance) {
	if _, done := stubStopped.LoadOrStore(i, true); done {
		return
	}
	i.Stop()
	i.ShutdownCallbacks()
}

var stubStopped sync.Map

func stubFreePort(t *testing.T, ips ...string) int {
	t.Helper()
	for range 50 {
		port := testkit.FreePortOn(t, ips[0])
		free := true
		for _, ip := range ips[1:] {
			addr := testkit.HostPort(ip, port)
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				free = false
				break
			}
			pc.Close()
			l, err := net.Listen("tcp", addr)
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return port
		}
	}
	t.Fatalf("no port free on all of %v", ips)
	return 0
}

// stubForwardTarget is an upstream for forward that answers every query with a
// TXT record saying so.
func stubForwardTarget(t *testing.T) string {
	t.Helper()
	port := testkit.FreePort(t)
	i, err := ctest.CoreDNSServer(fmt.Sprintf(`.:%d {
	bind 127.0.0.1
	template ANY ANY {
		answer "{{ .Name }} 60 IN TXT forwarded"
	}
}`, port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stubStop(i) })
	return testkit.HostPort("127.0.0.1", port)
}

// stubStart starts the server under test; it returns its UDP address
// and its TCP one (port 0 gives the two different ports).
func stubStart(t *testing.T, corefile string) (*caddy.Instance, string, string) {
	t.Helper()
	i, udp, tcp, err := ctest.CoreDNSServerAndPorts(corefile)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	t.Cleanup(func() { stubStop(i) })
	return i, stubLoopback(udp), stubLoopback(tcp)
}

// stubLoopback turns the wildcard address a test server reports into one a
// client can use.
func stubLoopback(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return net.JoinHostPort("127.0.0.1", port)
}

// stubWaitAnswer polls until name/qtype gets an answer satisfying ok.
func stubWaitAnswer(t *testing.T, addr, name string, qtype uint16, rd bool, ok func(*dns.Msg) bool) *dns.Msg {
	t.Helper()
	var r *dns.Msg
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.RecursionDesired = rd
		var err error
		if r, err = testkit.TryExchange("udp", "127.0.0.2", addr, m); err == nil && ok(r) {
			return r
		}
	}
	t.Fatalf("%s %s: no satisfying answer within 20s; last: %v", name, dns.TypeToString[qtype], r)
	return nil
}

func stubAnswerHas(s string) func(*dns.Msg) bool {
	return func(r *dns.Msg) bool {
		for _, rr := range r.Answer {
			if strings.Contains(rr.String(), s) {
				return true
			}
		}
		return false
	}
}

func TestStubzonesResolution(t *testing.T) {
	env := startStubAuth(t, 1)
	_, addr, tcpAddr := stubStart(t, env.corefile(stubForwardTarget(t)))

	// Ready: the first refresh loaded the zone.
	stubWaitAnswer(t, addr, "corp.test.", dns.TypeNS, false, func(r *dns.Msg) bool { return len(r.Ns) == 1 })

	tests := []struct {
		name   string
		qtype  uint16
		rd     bool
		rcode  int
		answer []string
		ns     []string
	}{
		// The only name server is out of the zone: its address comes from
		// the server's own outside.test zone.
		{name: "www.corp.test.", qtype: dns.TypeA, rd: true, answer: []string{"www.corp.test.\t300\tIN\tA\t192.0.2.10"}},
		// A CNAME leaving the zone is followed through the server.
		{name: "far.corp.test.", qtype: dns.TypeA, rd: true, answer: []string{
			"far.corp.test.\t300\tIN\tCNAME\twww.outside.test.", "www.outside.test.\t300\tIN\tA\t192.0.2.12"}},
		{name: "host.dept.corp.test.", qtype: dns.TypeA, rd: true, answer: []string{"host.dept.corp.test.\t300\tIN\tA\t192.0.2.11"}},
		{name: "nope.corp.test.", qtype: dns.TypeA, rd: true, rcode: dns.RcodeNameError},
		// RD=0: the referral from the stub data; no glue for an
		// out-of-zone name server.
		{name: "www.corp.test.", qtype: dns.TypeA, ns: []string{"corp.test.\t300\tIN\tNS\tns.outside.test."}},
		// Stub zones shadow forward, and only their own names.
		{name: "www.example.net.", qtype: dns.TypeA, rd: true, answer: []string{"www.example.net.\t60\tIN\tTXT\t\"forwarded\""}},
		{name: "corp.test.", qtype: dns.TypeAXFR, rcode: dns.RcodeNotAuth},
	}
	for _, tc := range tests {
		for _, network := range []string{"udp", "tcp"} {
			m := new(dns.Msg)
			m.SetQuestion(tc.name, tc.qtype)
			m.RecursionDesired = tc.rd
			to := addr
			if network == "tcp" {
				to = tcpAddr
			}
			r := testkit.Exchange(t, network, "127.0.0.3", to, m)
			label := fmt.Sprintf("%s %s RD=%v over %s", tc.name, dns.TypeToString[tc.qtype], tc.rd, network)
			if r.Rcode != tc.rcode {
				t.Errorf("%s: rcode %s, want %s", label, dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
			if !strings.HasSuffix(tc.name, ".corp.test.") && tc.name != "corp.test." {
				continue
			}
			if r.Authoritative || !r.RecursionAvailable {
				t.Errorf("%s: AA=%v RA=%v, want AA=0 RA=1", label, r.Authoritative, r.RecursionAvailable)
			}
			if got := stubRRText(r.Answer); strings.Join(got, "\n") != strings.Join(tc.answer, "\n") {
				t.Errorf("%s: answer\n%s\nwant\n%s", label, strings.Join(got, "\n"), strings.Join(tc.answer, "\n"))
			}
			if tc.ns != nil && strings.Join(stubRRText(r.Ns), "\n") != strings.Join(tc.ns, "\n") {
				t.Errorf("%s: authority %q, want %q", label, stubRRText(r.Ns), tc.ns)
			}
		}
	}
}

func stubRRText(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, rr.String())
	}
	return out
}

// Zones the server is authoritative for shadow stub zones.
func TestStubzonesShadowedByFile(t *testing.T) {
	env := startStubAuth(t, 1)
	testkit.WriteFile(t, filepath.Join(env.dir, "local.db"), `$TTL 60
@   IN SOA ns hostmaster 1 3600 600 86400 30
@   IN NS  ns
ns  IN A   127.0.0.1
www IN A   192.0.2.99
`)
	_, addr, _ := stubStart(t, fmt.Sprintf(`.:0 {
	file %[2]s/local.db dept.corp.test
	stubzones corp.test {
		primaries 127.0.0.41:%[1]d
		port %[1]d
	}
}
outside.test:0 {
	file %[2]s/outside.test.db
}
`, env.port, env.dir))
	stubWaitAnswer(t, addr, "www.corp.test.", dns.TypeA, true, stubAnswerHas("192.0.2.10"))
	r := testkit.Query(t, "udp", "", addr, "www.dept.corp.test.", dns.TypeA)
	if !r.Authoritative || len(r.Answer) != 1 || !strings.Contains(r.Answer[0].String(), "192.0.2.99") {
		t.Errorf("the file zone did not answer: %v", r)
	}
}

// A serial bump is picked up on the refresh timer and saved; a reload runs
// the new instance from the saved copy and leaves one refresh loop per zone.
func TestStubzonesRefreshAndReload(t *testing.T) {
	env := startStubAuth(t, 1)
	corefile := env.corefile(stubForwardTarget(t))
	i, _, _ := stubStart(t, corefile)
	copyPath := filepath.Join(env.dir, "stubs", "corp.test.stub")
	stubWaitSerial(t, copyPath, 1)

	env.writeCorp(t, 2)
	stubWaitSerial(t, copyPath, 2)
	if v := stubGauge(t, "coredns_stubzones_serial", "corp.test."); v != 2 {
		t.Errorf("coredns_stubzones_serial = %v, want 2", v)
	}
	if v := stubGauge(t, "coredns_stubzones_expires_in_seconds", "corp.test."); v <= 0 || v > 20 {
		t.Errorf("coredns_stubzones_expires_in_seconds = %v, want (0, 20]", v)
	}

	// Reload onto a name server that is gone: the saved copy serves.
	stubStop(env.auth)
	n, err := i.Restart(ctest.NewInput(corefile))
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	stubStopped.Store(i, true) // the reload shut it down
	t.Cleanup(func() { stubStop(n) })
	udp, _ := ctest.CoreDNSServerPorts(n, 0)
	udp = stubLoopback(udp)
	m := new(dns.Msg)
	m.SetQuestion("www.corp.test.", dns.TypeA)
	m.RecursionDesired = false
	if r := testkit.Exchange(t, "udp", "", udp, m); r.Rcode != dns.RcodeSuccess || len(r.Ns) != 1 {
		t.Errorf("after reload: %v", r)
	}
	if loops := stubGoroutines("stubzones.(*Stubzones).run"); loops != 1 {
		t.Errorf("%d refresh loops after a reload, want 1", loops)
	}
}

func stubWaitSerial(t *testing.T, path string, serial int) {
	t.Helper()
	want := fmt.Sprintf("SOA\tns.outside.test. hostmaster.corp.test. %d ", serial)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), want) {
			return
		}
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("%s never held serial %d:\n%s", path, serial, b)
}

func stubGauge(t *testing.T, name, zone string) float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "zone" && l.GetValue() == zone {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{zone=%q}", name, zone)
	return 0
}

func stubGoroutines(fn string) int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

// recursionacl decides before stubzones: a denied client is refused and no
// stub lookup is made for it; an allowed one is resolved.
func TestStubzonesBehindRecursionACL(t *testing.T) {
	env := startStubAuth(t, 1)
	_, addr, _ := stubStart(t, fmt.Sprintf(`.:0 {
	recursionacl {
		allow 127.0.0.2
	}
	stubzones corp.test {
		primaries 127.0.0.41:%[1]d
		port %[1]d
	}
}
outside.test:0 {
	file %[2]s/outside.test.db
}
`, env.port, env.dir))
	stubWaitAnswer(t, addr, "www.corp.test.", dns.TypeA, true, stubAnswerHas("192.0.2.10"))

	sent := stubCounterSum(t, "coredns_stubzones_upstream_queries_total", "corp.test.")
	for _, rd := range []bool{true, false} {
		m := new(dns.Msg)
		m.SetQuestion("host.dept.corp.test.", dns.TypeA)
		m.RecursionDesired = rd
		m.SetEdns0(1232, false)
		r := testkit.Exchange(t, "udp", "127.0.0.3", addr, m)
		if r.Rcode != dns.RcodeRefused || r.RecursionAvailable || len(r.Answer)+len(r.Ns) != 0 || !hasEDE(r, dns.ExtendedErrorCodeProhibited) {
			t.Errorf("denied client, RD=%v: %v", rd, r)
		}
	}
	if got := stubCounterSum(t, "coredns_stubzones_upstream_queries_total", "corp.test."); got != sent {
		t.Errorf("a denied client's queries made %v stub lookups", got-sent)
	}
	r := testkit.Query(t, "udp", "127.0.0.2", addr, "host.dept.corp.test.", dns.TypeA)
	if r.Rcode != dns.RcodeSuccess || !r.RecursionAvailable || len(r.Answer) != 1 {
		t.Errorf("allowed client: %v", r)
	}
}

// stubCounterSum adds up a counter's series for zone.
func stubCounterSum(t *testing.T, name, zone string) float64 {
	t.Helper()
	sum := 0.0
	for _, v := range metricSeries(t, name, "zone", zone) {
		sum += v
	}
	return sum
}

// The ready plugin reports the server ready only once the stub zone has
// data.
func TestStubzonesReady(t *testing.T) {
	env := newStubEnv(t, 1) // the name servers are not up yet
	readyPort := testkit.FreePort(t)
	stubStart(t, fmt.Sprintf(`.:0 {
	ready 127.0.0.1:%d
	stubzones corp.test {
		primaries 127.0.0.41:%d
		refresh-min 1s
	}
}
`, readyPort, env.port))
	url := fmt.Sprintf("http://127.0.0.1:%d/ready", readyPort)
	status := func() (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := status(); code != http.StatusServiceUnavailable || !strings.Contains(body, "stubzones") {
		t.Errorf("before any data: %d %q, want 503 naming stubzones", code, body)
	}
	env.start(t)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := status()
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready 20s after the primary came up: %d %q", code, body)
		}
	}
}

// Two stub zones whose only name servers are named in each other, without
// glue: every lookup leads back to the other zone. The client gets
// SERVFAIL at once; the lookups through the server are bounded.
func TestStubzonesCircularNameServers(t *testing.T) {
	env := newStubEnv(t, 1)
	for _, z := range []struct{ name, ns string }{{"a.test", "ns.b.test."}, {"b.test", "ns.a.test."}} {
		testkit.WriteFile(t, filepath.Join(env.dir, z.name+".db"), fmt.Sprintf(`$TTL 300
@   IN SOA %[1]s hostmaster.%[2]s. 1 3600 600 86400 30
@   IN NS  %[1]s
www IN A   192.0.2.20
`, z.ns, z.name))
		env.authInput += fmt.Sprintf("%s:%d {\n\tbind 127.0.0.41\n\tfile %s/%s.db\n}\n", z.name, env.port, env.dir, z.name)
	}
	env.start(t)
	_, addr, _ := stubStart(t, fmt.Sprintf(`.:0 {
	stubzones a.test b.test {
		primaries 127.0.0.41:%[1]d
		port %[1]d
	}
}
`, env.port))
	stubWaitAnswer(t, addr, "www.a.test.", dns.TypeA, false, func(r *dns.Msg) bool { return len(r.Ns) == 1 })
	stubWaitAnswer(t, addr, "www.b.test.", dns.TypeA, false, func(r *dns.Msg) bool { return len(r.Ns) == 1 })
	for _, name := range []string{"www.a.test.", "www.b.test."} {
		r := testkit.Query(t, "udp", "", addr, name, dns.TypeA)
		if r.Rcode != dns.RcodeServerFailure {
			t.Errorf("%s: %v, want SERVFAIL", name, r)
		}
	}
}
