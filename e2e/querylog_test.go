package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
)

// querylog's end-to-end tests: the corebind binary, dig, and BIND 9 named
// as the reference for the query line.

var querylogZone = testkit.Zone(`ns1 IN A 127.0.0.1
www IN A 192.0.2.80
www IN AAAA 2001:db8::80
`)

// tsigSecret is the test key k1 (hmac-sha256), for BIND, corebind and dig.
const tsigSecret = "c2VjcmV0c2VjcmV0c2VjcmV0"

// querylogDigs are dig invocations (without server and port) whose query
// lines must be the same from BIND and from corebind.
var querylogDigs = [][]string{
	{"www.example.org"},                                       // +E(0)K
	{"+norec", "+tcp", "www.example.org", "AAAA"},             // -E(0)TK
	{"+dnssec", "+cd", "+nocookie", "Www.Example.org"},        // +E(0)DC
	{"+noedns", "nx.example.org"},                             // +
	{"version.bind", "CH", "TXT"},                             // the CH class
	{`a\"b\ c\010d\195\169.example.org`},                      // escapes
	{"-y", "hmac-sha256:k1:" + tsigSecret, "www.example.org"}, // +SE(0)K, /key k1
	{"-y", "hmac-sha256:k1:" + tsigSecret, "+tcp", "+dnssec", "+cd", "+norec", "www.example.org"}, // -SE(0)TDCK
	{"-6", "www.example.org"}, // an IPv6 client
}

var queryLineRE = regexp.MustCompile(`client @0x[0-9a-f]+ (.*: query: .*)$`)

// queryLines returns the query lines of a log, from "client @0x… " on,
// without the identifier, leaving out the readiness probes of testkit
// (from 127.0.0.1).
func queryLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if m := queryLineRE.FindStringSubmatch(l); m != nil && !strings.HasPrefix(m[1], "127.0.0.1#") {
			out = append(out, m[1])
		}
	}
	return out
}

// TestQuerylogMatchesBIND sends the same dig queries, from the same source
// addresses and ports, to BIND 9.18 with querylog on and to corebind, and
// compares the lines.
func TestQuerylogMatchesBIND(t *testing.T) {
	testkit.Require(t, "dig", "named")
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Listen6: "::1",
		Options: "querylog yes;",
		Conf: `key "k1" { algorithm hmac-sha256; secret "` + tsigSecret + `"; };
zone "example.org" { type primary; file "example.org.db"; };`,
		Files: map[string]string{"example.org.db": querylogZone},
	})
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1 ::1
	querylog {
		output file query.log
	}
	tsig {
		secret k1. %s
	}
	chaos
	file example.org.db example.org
}
`, port, tsigSecret), testkit.CoreDNSOptions{Wait: addr, Files: map[string]string{"example.org.db": querylogZone}})

	for _, args := range querylogDigs {
		src, server := "127.0.0.2", "127.0.0.1"
		if args[0] == "-6" {
			src, server, args = "::1", "::1", args[1:]
		}
		sport := testkit.FreePortOn(t, src)
		for _, p := range []int{named.Port, port} {
			a := append([]string{"@" + server, "-p", strconv.Itoa(p), "-b", fmt.Sprintf("%s#%d", src, sport)}, args...)
			if out, code := testkit.Dig(t, nil, a...); code != 0 {
				t.Fatalf("dig %s: exit %d\n%s", strings.Join(a, " "), code, out)
			}
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(c.Dir, "query.log"))
	if err != nil {
		t.Fatal(err)
	}
	// Let named finish writing its log.
	var bind []string
	for range 100 {
		if bind = queryLines(named.Output()); len(bind) >= len(querylogDigs) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ours := queryLines(string(data))
	if len(bind) != len(querylogDigs) || len(ours) != len(querylogDigs) {
		t.Fatalf("BIND logged %d queries, corebind %d, want %d:\n%s\n--\n%s", len(bind), len(ours), len(querylogDigs), named.Output(), data)
	}
	for i := range bind {
		if bind[i] != ours[i] {
			t.Errorf("dig %s:\n BIND     %s\n corebind %s", strings.Join(querylogDigs[i], " "), bind[i], ours[i])
		}
	}
	// Every line of the file has BIND's file-channel prefix.
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !regexp.MustCompile(`^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} queries: info: client @0x`).MatchString(l) {
			t.Errorf("line without the file-channel prefix: %q", l)
		}
	}
}

// TestQuerylogRotateReloadStop: the binary reopens a file renamed under it,
// keeps every record across a reload (SIGUSR1), and writes everything at
// SIGTERM.
func TestQuerylogRotateReloadStop(t *testing.T) {
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`example.org:%d {
	bind 127.0.0.1
	querylog {
		output file logs/query.log
	}
	file example.org.db
}
`, port), testkit.CoreDNSOptions{Wait: addr, Files: map[string]string{"example.org.db": querylogZone, "logs/.keep": ""}})
	path := filepath.Join(c.Dir, "logs", "query.log")
	n := 0
	dig := func() {
		t.Helper()
		out, code := testkit.Dig(t, nil, "@127.0.0.1", "-p", strconv.Itoa(port), "-b", "127.0.0.3", fmt.Sprintf("q%d.example.org", n), "+short")
		if code != 0 {
			t.Fatalf("dig: exit %d\n%s", code, out)
		}
		n++
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			dig()
			time.Sleep(20 * time.Millisecond)
		}
	}
	for range 5 {
		dig()
	}
	wait("the log file", func() bool { _, err := os.Stat(path); return err == nil })
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	wait("a new log file", func() bool { _, err := os.Stat(path); return err == nil })
	c.Reload()
	if !c.WaitOutput("Reloading complete", 20*time.Second) {
		t.Fatalf("no reload:\n%s", c.Output())
	}
	for range 5 {
		dig()
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, c.Output())
	}
	var all []string
	for _, p := range []string{path + ".1", path} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, queryLines(string(data))...)
	}
	seen := map[string]bool{}
	for _, l := range all {
		seen[l] = true
	}
	if len(all) != n || len(seen) != n {
		t.Fatalf("%d lines (%d distinct) for %d queries", len(all), len(seen), n)
	}
	for i := range n {
		found := false
		for l := range seen {
			if strings.Contains(l, fmt.Sprintf("(q%d.example.org): query: q%d.example.org IN A +E(0)K (127.0.0.1)", i, i)) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("query %d not logged", i)
		}
	}
}

// TestQuerylogStatsEndpoint: dig from several loopback addresses; the
// binary's JSON endpoint counts them exactly, and POST /reset clears.
func TestQuerylogStatsEndpoint(t *testing.T) {
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	statsAddr := testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`example.org:%d {
	bind 127.0.0.1
	querylog {
		output stdout
		format json
		stats {
			listen %s
		}
	}
	file example.org.db
}
`, port, statsAddr), testkit.CoreDNSOptions{Wait: addr, Files: map[string]string{"example.org.db": querylogZone}})
	// The probe that waited for the server counts too: reset first.
	post(t, statsAddr)
	counts := map[string]int{"127.0.0.2": 4, "127.0.0.3": 2, "127.0.0.4": 1}
	for ip, n := range counts {
		for range n {
			if out, code := testkit.Dig(t, nil, "@127.0.0.1", "-p", strconv.Itoa(port), "-b", ip, "www.example.org"); code != 0 {
				t.Fatalf("dig: %s", out)
			}
		}
	}
	var doc struct {
		Queries int `json:"queries"`
		Clients []struct {
			IP      string `json:"ip"`
			Queries int    `json:"queries"`
			NoError int    `json:"noerror"`
		} `json:"clients"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		doc.Clients = nil
		testkit.GetJSON(t, "http://"+statsAddr+"/json", &doc)
		if doc.Queries == 7 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if doc.Queries != 7 || len(doc.Clients) != 3 {
		t.Fatalf("stats: %+v", doc)
	}
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		if cl := doc.Clients[i]; cl.IP != ip || cl.Queries != counts[ip] || cl.NoError != counts[ip] {
			t.Errorf("client %d: %+v, want %s with %d", i, cl, ip, counts[ip])
		}
	}
	post(t, statsAddr)
	body := testkit.HTTPGet(t, "http://"+statsAddr+"/json")
	if !strings.Contains(body, `"queries": 0`) {
		t.Errorf("after POST /reset:\n%s", body)
	}
	// The JSON records went to stdout, one object per line.
	c.Stop()
	n := 0
	for _, l := range strings.Split(c.Output(), "\n") {
		if strings.HasPrefix(l, `{"type":"query"`) {
			var r map[string]any
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Errorf("bad JSON on stdout: %q", l)
			}
			n++
		}
	}
	if n < 7 {
		t.Errorf("%d JSON records on stdout, want at least 7", n)
	}
}

func post(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /reset: %s", resp.Status)
	}
}

// TestQuerylogSyslogTCP: the binary sends octet-counted RFC 5424 messages
// to a TCP collector on loopback.
func TestQuerylogSyslogTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`example.org:%d {
	bind 127.0.0.1
	querylog {
		output syslog tcp://%s
		tag dnslog
		facility local5
	}
	file example.org.db
}
`, port, l.Addr()), testkit.CoreDNSOptions{Wait: addr, Files: map[string]string{"example.org.db": querylogZone}})
	if out, code := testkit.Dig(t, nil, "@127.0.0.1", "-p", strconv.Itoa(port), "-b", "127.0.0.5", "syslog.example.org"); code != 0 {
		t.Fatal(out)
	}
	l.(*net.TCPListener).SetDeadline(time.Now().Add(20 * time.Second))
	conn, err := l.Accept()
	if err != nil {
		t.Fatalf("no connection from corebind: %v", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	re := regexp.MustCompile(`^<174>1 \S+ \S+ dnslog ` + strconv.Itoa(c.Pid()) + ` queries - client @0x[0-9a-f]+ 127\.0\.0\.5#\d+ \(syslog\.example\.org\): query: syslog\.example\.org IN A \+E\(0\)K \(127\.0\.0\.1\)$`)
	for {
		msg, err := testkit.ReadOctetCounted(r)
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		if strings.Contains(msg, "syslog.example.org") { // skip the startup probe
			if !re.MatchString(msg) {
				t.Errorf("message %q", msg)
			}
			return
		}
	}
}
