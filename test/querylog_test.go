package test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	ctest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

// querylog's integration tests: a real CoreDNS server in-process, queried
// over UDP and TCP on loopback from several source addresses, with real
// files and real syslog receivers.

// qlServer is a running in-process server.
type qlServer struct {
	t        *testing.T
	inst     *caddy.Instance
	udp, tcp string
	dir      string
}

// startQL starts corefile, in which DIR stands for a fresh directory that
// holds the zone file db.example.org.
func startQL(t *testing.T, corefile string) *qlServer {
	t.Helper()
	dir := t.TempDir()
	zone, err := os.ReadFile(filepath.Join("testdata", "querylog", "db.example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db.example.org"), zone, 0o644); err != nil {
		t.Fatal(err)
	}
	caddy.Quiet, dnsserver.Quiet = true, true
	s := &qlServer{t: t, dir: dir}
	s.inst, s.udp, s.tcp, err = ctest.CoreDNSServerAndPorts(strings.ReplaceAll(corefile, "DIR", dir))
	if err != nil {
		t.Fatalf("starting:\n%s\n%v", corefile, err)
	}
	t.Cleanup(s.stop)
	return s
}

// stop stops the server and runs the shutdown callbacks, as SIGTERM does:
// querylog writes out what is queued.
func (s *qlServer) stop() {
	if s.inst == nil {
		return
	}
	s.inst.Stop()
	s.inst.ShutdownCallbacks()
	s.inst = nil
}

// reload restarts the server on a new Corefile, as SIGUSR1 does.
func (s *qlServer) reload(corefile string) {
	s.t.Helper()
	inst, err := s.inst.Restart(ctest.NewInput(strings.ReplaceAll(corefile, "DIR", s.dir)))
	if err != nil {
		s.t.Fatalf("reload: %v", err)
	}
	s.inst = inst
	s.udp, s.tcp = ctest.CoreDNSServerPorts(inst, 0)
}

// exchange sends m over network from the local address from and returns
// the reply and the client's address and port as the server saw them.
func exchange(t *testing.T, network, from, server string, m *dns.Msg) (*dns.Msg, netip.AddrPort) {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	local := net.JoinHostPort(from, "0")
	var laddr net.Addr
	if network == "tcp" {
		laddr, _ = net.ResolveTCPAddr("tcp", local)
	} else {
		laddr, _ = net.ResolveUDPAddr("udp", local)
	}
	c.Dialer = &net.Dialer{LocalAddr: laddr, Timeout: 5 * time.Second}
	conn, err := c.Dial(server)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", server, from, err)
	}
	defer conn.Close()
	r, _, err := c.ExchangeWithConn(m, conn)
	if err != nil {
		t.Fatalf("%s query %s from %s: %v", network, m.Question[0].Name, from, err)
	}
	ap, _ := netip.ParseAddrPort(conn.LocalAddr().String())
	return r, ap
}

// bindLineRE parses a BIND 9.18 query line with the file-channel prefix.
var bindLineRE = regexp.MustCompile(`^(\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3}) queries: info: client @0x([0-9a-f]+) (\S+)#(\d+)(?:/key (\S+))? \((\S+)\): query: (\S+) (\S+) (\S+) ([+-]S?(?:E\((\d+)\))?T?D?C?[VK]?) \((\S+)\)$`)

type bindLine struct {
	time                    time.Time
	id                      string
	client                  netip.AddrPort
	key, qname, qname2      string
	class, qtype, flags, ev string
	server                  string
}

func parseBindLine(t *testing.T, line string) bindLine {
	t.Helper()
	m := bindLineRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not a BIND query line: %q", line)
	}
	ts, err := time.ParseInLocation("02-Jan-2006 15:04:05.000", m[1], time.Local)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(m[4])
	return bindLine{time: ts, id: m[2], client: netip.AddrPortFrom(netip.MustParseAddr(m[3]), uint16(port)),
		key: m[5], qname: m[6], qname2: m[7], class: m[8], qtype: m[9], flags: m[10], ev: m[11], server: m[12]}
}

// readLines waits until path holds n lines and returns them.
func readLines(t *testing.T, path string, n int) []string {
	t.Helper()
	var lines []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		lines = nonEmpty(strings.Split(string(data), "\n"))
		if len(lines) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(lines) != n {
		t.Fatalf("%s: %d lines, want %d:\n%s", path, len(lines), n, strings.Join(lines, "\n"))
	}
	return lines
}

func nonEmpty(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// qlQuery is one query of the round-trip tests, and the flags BIND logs
// for it.
type qlQuery struct {
	network, from string
	name          string
	qtype, qclass uint16
	rd, edns, do  bool
	cd, cookie    bool
	flags         string
}

var qlQueries = []qlQuery{
	{"udp", "127.0.0.2", "www.example.org.", dns.TypeA, dns.ClassINET, true, true, false, false, true, "+E(0)K"},
	{"tcp", "127.0.0.3", "www.example.org.", dns.TypeAAAA, dns.ClassINET, false, true, false, false, true, "-E(0)TK"},
	{"udp", "127.0.0.4", "Www.Example.org.", dns.TypeA, dns.ClassINET, true, true, true, true, false, "+E(0)DC"},
	{"udp", "127.0.0.2", "nx.example.org.", dns.TypeA, dns.ClassINET, true, false, false, false, false, "+"},
	{"tcp", "127.0.0.2", "example.org.", dns.TypeSOA, dns.ClassINET, false, false, false, true, false, "-TC"},
	{"udp", "::1", "www.example.org.", dns.TypeAAAA, dns.ClassINET, true, true, false, false, true, "+E(0)K"},
	{"tcp", "::1", "www.example.org.", dns.TypeA, dns.ClassINET, true, true, true, false, false, "+E(0)TD"},
	{"udp", "127.0.0.5", "version.bind.", dns.TypeTXT, dns.ClassCHAOS, true, true, false, false, true, "+E(0)K"},
	{"udp", "127.0.0.2", `a\"b\ c\010d\195\169.example.org.`, dns.TypeA, dns.ClassINET, true, false, false, false, false, "+"},
}

func (q qlQuery) msg() *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.Question[0].Qclass = q.qclass
	m.RecursionDesired = q.rd
	m.CheckingDisabled = q.cd
	if q.edns {
		m.SetEdns0(1232, q.do)
		if q.cookie {
			m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "24a5ac2e2a0e4b6c"})
		}
	}
	return m
}

// bindName is the name as BIND prints it.
var bindNames = map[string]string{
	"www.example.org.": "www.example.org", "Www.Example.org.": "Www.Example.org", "nx.example.org.": "nx.example.org",
	"example.org.": "example.org", "version.bind.": "version.bind",
	`a\"b\ c\010d\195\169.example.org.`: `a\"b\032c\010d\195\169.example.org`,
}

const qlCorefile = `.:0 {
	bind 127.0.0.1 ::1
	querylog {
		output file DIR/query.log
	}
	querylog {
		output file DIR/query.json
		format json
		responses
	}
	chaos corebind-test
	file DIR/db.example.org example.org
}
`

// TestQuerylogRoundTrip sends queries of every kind and parses back every
// field of the BIND lines and the JSON records written for them (two
// querylog directives in one server block).
func TestQuerylogRoundTrip(t *testing.T) {
	s := startQL(t, qlCorefile)
	// One listener per bind address, each on its own free port.
	ports := map[string][2]string{} // address -> udp, tcp
	for k := range 2 {
		udp, tcp := ctest.CoreDNSServerPorts(s.inst, k)
		host, up, _ := net.SplitHostPort(udp)
		_, tp, _ := net.SplitHostPort(tcp)
		ports[host] = [2]string{up, tp}
	}
	start := time.Now().Add(-time.Second)
	clients := make([]netip.AddrPort, len(qlQueries))
	replies := make([]*dns.Msg, len(qlQueries))
	for i, q := range qlQueries {
		server := serverFor(q.from)
		replies[i], clients[i] = exchange(t, q.network, q.from, net.JoinHostPort(server, ports[server][proto(q.network)]), q.msg())
	}
	s.stop()

	// A record is queued once its reply is written, so a client can send its
	// next query before the previous record is queued: the lines need not be
	// in query order. Each query came from its own source port; pair them by
	// that.
	byClient := map[netip.AddrPort]int{}
	for i, c := range clients {
		byClient[c] = i
	}
	lines := readLines(t, filepath.Join(s.dir, "query.log"), len(qlQueries))
	ordered := make([]string, len(lines))
	for _, line := range lines {
		if i, ok := byClient[parseBindLine(t, line).client]; ok {
			ordered[i] = line
		}
	}
	lines = ordered
	ids := map[string]bool{}
	for i, q := range qlQueries {
		if lines[i] == "" {
			t.Errorf("no line for query %d from %s", i, clients[i])
			continue
		}
		l := parseBindLine(t, lines[i])
		want := bindNames[q.name]
		if l.client != clients[i] || l.qname != want || l.qname2 != want || l.flags != q.flags || l.qtype != dns.TypeToString[q.qtype] {
			t.Errorf("line %d: %q\nwant client %s, name %s, type %s, flags %s", i, lines[i], clients[i], want, dns.TypeToString[q.qtype], q.flags)
		}
		if wantClass := map[uint16]string{dns.ClassINET: "IN", dns.ClassCHAOS: "CH"}[q.qclass]; l.class != wantClass {
			t.Errorf("line %d: class %s, want %s", i, l.class, wantClass)
		}
		if l.server != serverFor(q.from) {
			t.Errorf("line %d: server %s", i, l.server)
		}
		if l.time.Before(start) || l.time.After(time.Now()) {
			t.Errorf("line %d: time %s", i, l.time)
		}
		if ids[l.id] {
			t.Errorf("line %d: id %s seen before", i, l.id)
		}
		ids[l.id] = true
	}

	raw := readLines(t, filepath.Join(s.dir, "query.json"), len(qlQueries))
	parsed := make([]map[string]any, len(raw))
	records := make([]string, len(raw))
	for _, rec := range raw {
		var r map[string]any
		if err := json.Unmarshal([]byte(rec), &r); err != nil {
			t.Fatalf("record: %v: %s", err, rec)
		}
		ip, _ := r["client_ip"].(string)
		port, _ := r["client_port"].(float64)
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			t.Fatalf("record client_ip %q: %v", ip, err)
		}
		if i, ok := byClient[netip.AddrPortFrom(addr, uint16(port))]; ok {
			parsed[i] = r
			records[i] = rec
		}
	}
	for i, q := range qlQueries {
		r := parsed[i]
		if r == nil {
			t.Errorf("no record for query %d from %s", i, clients[i])
			continue
		}
		reply := replies[i]
		size := reply.Len()
		wantName := bindNames[q.name] + "."
		if q.name == "." {
			wantName = "."
		}
		checks := map[string]any{
			"client_ip": clients[i].Addr().String(), "client_port": float64(clients[i].Port()),
			"proto": q.network, "qname": wantName, "qtype": dns.TypeToString[q.qtype], "qclass": map[uint16]string{1: "IN", 3: "CH"}[q.qclass],
			"id": float64(reply.Id), "rd": q.rd, "cd": q.cd, "do": q.do,
			"rcode": dns.RcodeToString[reply.Rcode], "answers": float64(len(reply.Answer)), "authority": float64(len(reply.Ns)),
			"additional": float64(len(reply.Extra)), "size": float64(size), "flags": q.flags,
		}
		for k, v := range checks {
			if r[k] != v {
				t.Errorf("record %d: %s = %v, want %v\n%s", i, k, r[k], v, records[i])
			}
		}
		if q.edns {
			if r["edns_version"] != 0.0 || r["edns_bufsize"] != 1232.0 {
				t.Errorf("record %d: edns %v %v", i, r["edns_version"], r["edns_bufsize"])
			}
		} else if _, ok := r["edns_version"]; ok || r["edns_bufsize"] != 512.0 {
			t.Errorf("record %d: edns_version present or bufsize %v without EDNS", i, r["edns_bufsize"])
		}
		server := serverFor(q.from)
		if r["server_ip"] != server || fmt.Sprint(r["server_port"]) != ports[server][proto(q.network)] || r["server"] != "dns://"+net.JoinHostPort(server, "0") {
			t.Errorf("record %d: server_port %v server %v", i, r["server_port"], r["server"])
		}
		if ts, err := time.Parse(time.RFC3339Nano, r["time"].(string)); err != nil || ts.Before(start) {
			t.Errorf("record %d: time %v", i, r["time"])
		}
		if d := r["duration_seconds"].(float64); d < 0 || d > 5 {
			t.Errorf("record %d: duration %v", i, d)
		}
		if r["zone"] != "." { // the server block's zone

			t.Errorf("record %d: zone %v", i, r["zone"])
		}
	}
}

// serverFor is the server address the round-trip tests query from a
// client address: the same family.
func serverFor(from string) string {
	if strings.Contains(from, ":") {
		return "::1"
	}
	return "127.0.0.1"
}

func proto(network string) int {
	if network == "tcp" {
		return 1
	}
	return 0
}

// syslogUDP collects datagrams on a loopback UDP socket.
func syslogUDP(t *testing.T) (addr string, msgs <-chan string) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	ch := make(chan string, 1000)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return pc.LocalAddr().String(), ch
}

// syslogTCP collects octet-counted frames on a loopback TCP listener.
func syslogTCP(t *testing.T) (addr string, msgs <-chan string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan string, 1000)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					m, err := testkit.ReadOctetCounted(r)
					if errors.Is(err, testkit.ErrFrameLength) {
						ch <- err.Error()
					}
					if err != nil {
						return
					}
					ch <- m
				}
			}()
		}
	}()
	return l.Addr().String(), ch
}

var syslog5424RE = regexp.MustCompile(`^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) - (.*)$`)

func receive(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no syslog message within 20s")
		return ""
	}
}

// TestQuerylogSyslog: real UDP and TCP syslog receivers get RFC 5424
// messages whose MSG is the BIND line without the time prefix.
func TestQuerylogSyslog(t *testing.T) {
	udpAddr, udpMsgs := syslogUDP(t)
	tcpAddr, tcpMsgs := syslogTCP(t)
	s := startQL(t, fmt.Sprintf(`.:0 {
	bind 127.0.0.1
	querylog {
		output syslog udp://%s
		facility local3
		tag named
	}
	querylog {
		output syslog tcp://%s
		format json
	}
	file DIR/db.example.org example.org
}
`, udpAddr, tcpAddr))
	_, client := exchange(t, "udp", "127.0.0.6", s.udp, qlQueries[0].msg())

	m := syslog5424RE.FindStringSubmatch(receive(t, udpMsgs))
	if m == nil {
		t.Fatal("UDP message is not RFC 5424")
	}
	if m[1] != "158" || m[4] != "named" || m[5] != strconv.Itoa(os.Getpid()) || m[6] != "queries" { // local3.info
		t.Errorf("UDP header: %q", m[1:7])
	}
	wantMsg := regexp.MustCompile(`^client @0x[0-9a-f]+ ` + regexp.QuoteMeta(fmt.Sprintf("%s#%d", client.Addr(), client.Port())) + regexp.QuoteMeta(` (www.example.org): query: www.example.org IN A +E(0)K (127.0.0.1)`) + `$`)
	if !wantMsg.MatchString(m[7]) {
		t.Errorf("UDP MSG %q", m[7])
	}

	m = syslog5424RE.FindStringSubmatch(receive(t, tcpMsgs))
	if m == nil {
		t.Fatal("TCP message is not RFC 5424")
	}
	if m[1] != "30" || m[4] != "coredns" { // daemon.info
		t.Errorf("TCP header: %q", m[1:7])
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(m[7]), &r); err != nil || r["client_port"] != float64(client.Port()) || r["qname"] != "www.example.org." {
		t.Errorf("TCP MSG %q: %v", m[7], err)
	}
}

// stalledCollector is a TCP syslog collector that accepts connections and
// never reads, with a tiny receive buffer.
func stalledCollector(t *testing.T) string {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// metric returns the value of a querylog metric for a server label.
func metric(t *testing.T, name, server string) float64 {
	t.Helper()
	if v := metricSeries(t, name, "server", server); len(v) > 0 {
		return v[0]
	}
	return 0
}

// TestQuerylogStalledCollector: a TCP collector that stops reading does not
// stop the answers; what cannot be written is dropped and counted.
func TestQuerylogStalledCollector(t *testing.T) {
	addr := stalledCollector(t)
	s := startQL(t, fmt.Sprintf(`.:0 {
	bind 127.0.0.7
	querylog {
		output syslog tcp://%s
		buffer 64
	}
	file DIR/db.example.org example.org
}
`, addr))
	server := "dns://127.0.0.7:0"
	dropped0, records0 := metric(t, "coredns_querylog_dropped_total", server), metric(t, "coredns_querylog_records_total", server)
	// Batches of queries from 8 clients at once, until the collector's
	// socket buffers are full and records are dropped (100,000 at most).
	sent := 0
	batch := func() {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &dns.Client{Timeout: 5 * time.Second}
				conn, err := c.Dial(s.udp)
				if err != nil {
					errs <- err
					return
				}
				defer conn.Close()
				for i := range 500 {
					m := new(dns.Msg)
					m.SetQuestion(fmt.Sprintf("q%d-%d-%d.example.org.", sent, g, i), dns.TypeA)
					r, _, err := c.ExchangeWithConn(m, conn)
					if err != nil || r.Rcode != dns.RcodeNameError {
						errs <- fmt.Errorf("query %d: %v %v", i, err, r)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err) // every query is answered
		}
		sent += 8 * 500
	}
	for sent < 100000 && metric(t, "coredns_querylog_dropped_total", server) == dropped0 {
		batch()
	}
	// Every record is accounted for: written or dropped.
	var dropped, records float64
	deadline := time.Now().Add(30 * time.Second)
	for {
		dropped = metric(t, "coredns_querylog_dropped_total", server) - dropped0
		records = metric(t, "coredns_querylog_records_total", server) - records0
		if int(records) == sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if int(records) != sent || dropped == 0 {
		t.Errorf("records %v (want %d), dropped %v (want > 0)", records, sent, dropped)
	}
	t.Logf("%d queries answered, %v records dropped", sent, dropped)
}

// TestQuerylogRotation: the log file renamed under the server (logrotate
// without copytruncate) is reopened, and no record is lost.
func TestQuerylogRotation(t *testing.T) {
	s := startQL(t, `.:0 {
	bind 127.0.0.1
	querylog {
		output file DIR/query.log
	}
	file DIR/db.example.org example.org
}
`)
	path := filepath.Join(s.dir, "query.log")
	n := 0
	send := func() {
		exchange(t, "udp", "127.0.0.2", s.udp, qlMsg(fmt.Sprintf("r%d.example.org.", n)))
		n++
	}
	for range 10 {
		send()
	}
	readLines(t, path, 10)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		send()
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the log file was not reopened")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 10 {
		send()
	}
	s.stop()
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	all := nonEmpty(strings.Split(string(old)+string(cur), "\n"))
	if len(all) != n {
		t.Fatalf("%d lines in both files, %d queries sent", len(all), n)
	}
	// Every query logged once, across the two files. Not necessarily in
	// query order: a record is queued after its reply is written.
	seen := map[string]int{}
	for _, l := range all {
		if _, rest, ok := strings.Cut(l, "query: r"); ok {
			seen[strings.Fields(rest)[0]]++
		}
	}
	for i := range n {
		if name := fmt.Sprintf("%d.example.org", i); seen[name] != 1 {
			t.Errorf("query r%s logged %d times", name, seen[name])
		}
	}
}

func qlMsg(name string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	return m
}

// TestQuerylogReloadAndShutdown: a reload keeps every record (both
// instances append whole lines), rebinds the statistics listener and resets
// the statistics; a clean stop right after a burst loses nothing.
func TestQuerylogReloadAndShutdown(t *testing.T) {
	statsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testkit.FreePort(t)))
	corefile := `.:0 {
	bind 127.0.0.1
	querylog {
		output file DIR/query.log
		stats {
			listen ` + statsAddr + `
		}
	}
	file DIR/db.example.org example.org
}
`
	s := startQL(t, corefile)
	path := filepath.Join(s.dir, "query.log")
	burst := func(prefix string, n int) {
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &dns.Client{Timeout: 5 * time.Second}
				for i := g; i < n; i += 4 {
					if _, _, err := c.Exchange(qlMsg(fmt.Sprintf("%s%d.example.org.", prefix, i)), s.udp); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	burst("a", 500)
	if j := statsAfter(t, statsAddr, 500); j.Queries != 500 {
		t.Errorf("before reload: %d queries in the statistics", j.Queries)
	}
	s.reload(corefile)
	if j := getStats(t, statsAddr); j.Queries != 0 {
		t.Errorf("after reload: %d queries in the statistics, want 0 (reset)", j.Queries)
	}
	burst("b", 500)
	if j := statsAfter(t, statsAddr, 500); j.Queries != 500 {
		t.Errorf("after reload: %d queries counted, want 500", j.Queries)
	}
	s.stop()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range nonEmpty(strings.Split(string(data), "\n")) {
		b := parseBindLine(t, l)
		seen[b.qname] = true
	}
	for _, p := range []string{"a", "b"} {
		for i := range 500 {
			if name := fmt.Sprintf("%s%d.example.org", p, i); !seen[name] {
				t.Errorf("%s not logged", name)
			}
		}
	}
	if len(seen) != 1000 {
		t.Errorf("%d names logged, want 1000", len(seen))
	}
}

type statsDoc struct {
	Queries     uint64 `json:"queries"`
	ClientsSeen uint64 `json:"clients_seen"`
	ErrorBound  uint64 `json:"error_bound"`
	Clients     []struct {
		IP       string `json:"ip"`
		Queries  uint64 `json:"queries"`
		Error    uint64 `json:"error"`
		NoError  uint64 `json:"noerror"`
		NXDomain uint64 `json:"nxdomain"`
		Refused  uint64 `json:"refused"`
		RD       uint64 `json:"rd"`
		TCP      uint64 `json:"tcp"`
		Received uint64 `json:"bytes_received"`
		Sent     uint64 `json:"bytes_sent"`
		Names    []struct {
			Name    string `json:"name"`
			Queries uint64 `json:"queries"`
		} `json:"names"`
	} `json:"clients"`
	Names []struct {
		Name    string `json:"name"`
		Queries uint64 `json:"queries"`
		Clients uint64 `json:"clients"`
	} `json:"names"`
}

// statsAfter polls the JSON endpoint until it counts queries (a query is
// counted just after its reply is sent) and returns the document.
func statsAfter(t *testing.T, addr string, queries int) *statsDoc {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j := getStats(t, addr)
		if int(j.Queries) == queries || time.Now().After(deadline) {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func getStats(t *testing.T, addr string) *statsDoc {
	t.Helper()
	var resp *http.Response
	var err error
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err = http.Get("http://" + addr + "/json")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j statsDoc
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		t.Fatal(err)
	}
	return &j
}

// TestQuerylogStats: known query counts from several loopback addresses
// are reported exactly by the JSON endpoint, and the tracked clients gauge
// follows.
func TestQuerylogStats(t *testing.T) {
	statsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testkit.FreePort(t)))
	s := startQL(t, `.:0 {
	bind 127.0.0.8
	querylog {
		output file DIR/query.log
		stats {
			top 10
			names 10
			listen `+statsAddr+`
		}
	}
	file DIR/db.example.org example.org
}
`)
	send := func(network, from, name string, n int) {
		server := s.udp
		if network == "tcp" {
			server = s.tcp
		}
		for range n {
			exchange(t, network, from, server, qlMsg(name))
		}
	}
	send("udp", "127.0.0.2", "www.example.org.", 7)
	send("tcp", "127.0.0.2", "nx.example.org.", 3)
	send("udp", "127.0.0.3", "www.example.org.", 5)
	send("udp", "127.0.0.4", "other.net.", 2) // not served here: REFUSED
	j := statsAfter(t, statsAddr, 17)
	if j.Queries != 17 || j.ClientsSeen != 3 || len(j.Clients) != 3 || j.ErrorBound != 0 {
		t.Fatalf("stats: %+v", j)
	}
	want := []struct {
		ip                                 string
		queries, noerror, nx, refused, tcp uint64
	}{
		{"127.0.0.2", 10, 7, 3, 0, 3},
		{"127.0.0.3", 5, 5, 0, 0, 0},
		{"127.0.0.4", 2, 0, 0, 2, 0},
	}
	for i, w := range want {
		c := j.Clients[i]
		if c.IP != w.ip || c.Queries != w.queries || c.Error != 0 || c.NoError != w.noerror || c.NXDomain != w.nx ||
			c.Refused != w.refused || c.TCP != w.tcp || c.RD != w.queries || c.Received == 0 || c.Sent < c.Received {
			t.Errorf("client %d: %+v, want %+v", i, c, w)
		}
	}
	if n := j.Clients[0].Names; len(n) != 2 || n[0].Name != "www.example.org." || n[0].Queries != 7 || n[1].Queries != 3 {
		t.Errorf("names of 127.0.0.2: %+v", n)
	}
	if n := j.Names[0]; n.Name != "www.example.org." || n.Queries != 12 || n.Clients != 2 {
		t.Errorf("top name: %+v", n)
	}
	deadline := time.Now().Add(20 * time.Second)
	for metric(t, "coredns_querylog_tracked_clients", "dns://127.0.0.8:0") != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("tracked_clients = %v, want 3", metric(t, "coredns_querylog_tracked_clients", "dns://127.0.0.8:0"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestQuerylogFlood: queries from thousands of distinct loopback addresses
// keep the table at its size, and the heavy senders stay on top.
func TestQuerylogFlood(t *testing.T) {
	statsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testkit.FreePort(t)))
	s := startQL(t, `.:0 {
	bind 127.0.0.9
	querylog {
		output file DIR/query.log
		stats {
			top 10
			names 5
			listen `+statsAddr+`
		}
	}
	file DIR/db.example.org example.org
}
`)
	const distinctSources = 3000
	heavy := []string{"127.0.1.1", "127.0.1.2", "127.0.1.3"}
	// A raw UDP socket per source address; replies are not awaited (the
	// statistics count queries, and the server answers regardless).
	send := func(from string) {
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)}, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s.udp)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b, _ := qlMsg("www.example.org.").Pack()
		c.Write(b)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 512))
	}
	total := 0
	for i := range distinctSources {
		send(fmt.Sprintf("127.%d.%d.%d", 10+i/65536, i/256%256, i%256+0))
		total++
		if i%5 == 0 {
			for _, h := range heavy {
				send(h)
				total++
			}
		}
	}
	j := statsAfter(t, statsAddr, total)
	if int(j.Queries) != total {
		t.Errorf("%d queries counted, %d sent", j.Queries, total)
	}
	if len(j.Clients) != 10 || len(j.Names) != 1 {
		t.Errorf("%d clients, %d names tracked", len(j.Clients), len(j.Names))
	}
	if d := float64(j.ClientsSeen) - distinctSources - 3; d > 0.05*distinctSources || d < -0.05*distinctSources {
		t.Errorf("%d distinct clients estimated, %d sent", j.ClientsSeen, distinctSources+3)
	}
	top := map[string]bool{}
	for _, c := range j.Clients[:3] {
		top[c.IP] = true
		if c.Queries-c.Error > distinctSources/5 || c.Queries < distinctSources/5 {
			t.Errorf("%s: %d queries (error %d), sent %d", c.IP, c.Queries, c.Error, distinctSources/5)
		}
	}
	for _, h := range heavy {
		if !top[h] {
			t.Errorf("%s is not among the top 3: %+v", h, j.Clients[:3])
		}
	}
}
