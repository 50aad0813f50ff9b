package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/miekg/dns"
)

// Side by side with BIND 9.18: which requests get a line in the query log,
// and what the line says, for what issue 13 found different (ECS, opcodes
// other than QUERY, TSIG failures, classes, internal lookups).

// parityZoneNet is the second zone of the block: alias.example.org is a
// CNAME into it, so CoreDNS's file plugin re-enters the chain to chase it.
const parityZoneNet = `$TTL 300
@ IN SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300
@ IN NS ns1.example.org.
www IN A 192.0.2.81
`

var parityZoneOrg = querylogZone + "alias IN CNAME www.example.net.\n"

// parityCase is one dig invocation (without server, port and source) sent to
// both servers from the same source address and port, and how many lines
// (queries or security) each must write for it.
type parityCase struct {
	name  string
	src   string // client address; default 127.0.0.2
	args  []string
	wire  func(t *testing.T) []byte // instead of dig: this message over UDP
	lines int
}

var parityCases = []parityCase{
	{name: "ECS IPv4", args: []string{"+subnet=192.0.2.0/24", "www.example.org"}, lines: 1},
	{name: "ECS IPv4 over TCP", args: []string{"+tcp", "+subnet=192.0.2.0/24", "www.example.org"}, lines: 1},
	{name: "ECS source prefix 0", args: []string{"+subnet=0", "www.example.org"}, lines: 1},
	{name: "ECS IPv6", src: "::1", args: []string{"+subnet=2001:db8::/56", "www.example.org", "AAAA"}, lines: 1},
	{name: "ECS IPv6 over TCP", src: "::1", args: []string{"+tcp", "+subnet=2001:db8::/56", "www.example.org"}, lines: 1},
	// CoreDNS's file plugin drops a NOTIFY for a zone it is primary for: wait
	// one second, not three.
	{name: "NOTIFY", args: []string{"+time=1", "+opcode=notify", "+norec", "example.org", "SOA"}},
	{name: "NOTIFY over TCP", args: []string{"+time=1", "+tcp", "+opcode=notify", "+norec", "example.org", "SOA"}},
	{name: "UPDATE", args: []string{"+opcode=update", "+norec", "example.org", "SOA"}},
	{name: "TSIG unknown key", args: []string{"-y", "hmac-sha256:k2:" + tsigSecret, "www.example.org"}, lines: 1},
	{name: "TSIG wrong secret over TCP", args: []string{"+tcp", "-y", "hmac-sha256:k1:b3RoZXJvdGhlcm90aGVy", "www.example.org"}, lines: 1},
	{name: "TSIG time an hour off", wire: staleSigned, lines: 1},
	{name: "NOTIFY with an unknown key", args: []string{"+time=1", "+opcode=notify", "+norec", "-y", "hmac-sha256:k2:" + tsigSecret, "example.org", "SOA"}, lines: 1},
	{name: "TSIG good", args: []string{"-y", "hmac-sha256:k1:" + tsigSecret, "www.example.org"}, lines: 1},
	{name: "CNAME into another zone", src: "127.0.0.7", args: []string{"alias.example.org"}, lines: 1},
	{name: "CNAME into another zone over TCP", src: "127.0.0.8", args: []string{"+tcp", "alias.example.org"}, lines: 1},
	{name: "CH version.bind", args: []string{"version.bind", "CH", "TXT"}, lines: 1},
	{name: "CH version.bind over TCP", args: []string{"+tcp", "version.bind", "CH", "TXT"}, lines: 1},
	{name: "CH other name", args: []string{"example.org", "CH", "TXT"}, lines: 1},
	{name: "class HS", args: []string{"-c", "HS", "-t", "TXT", "www.example.org"}},
	{name: "class ANY", args: []string{"-c", "ANY", "-t", "SOA", "example.org"}},
	{name: "EDNS version 1", args: []string{"+edns=1", "+noednsneg", "www.example.org"}},
}

var (
	parityClientRE = regexp.MustCompile(`client @0x[0-9a-f]+ ([0-9a-f.:]+#\d+)`)
	parityLineRE   = regexp.MustCompile(`^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} ((?:queries|security): [a-z]+: client @0x)[0-9a-f]+ (.*)$`)
)

// parityLines returns the queries and security lines of a file-channel log
// by client (address#port), without time and client identifier.
func parityLines(log string) map[string][]string {
	out := map[string][]string{}
	for _, l := range strings.Split(log, "\n") {
		m := parityLineRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		c := parityClientRE.FindStringSubmatch(l)
		out[c[1]] = append(out[c[1]], m[1]+" "+m[2])
	}
	return out
}

// TestQuerylogParityWithBIND sends each parityCase to BIND 9.18 (querylog
// on, file channel) and to corebind (querylog to a file, tsig, chaosmask,
// two zones in one block), from the same address and port, and compares the
// lines field by field; then checks the statistics and the JSON records.
func TestQuerylogParityWithBIND(t *testing.T) {
	testkit.Require(t, "dig", "named")
	files := map[string]string{"example.org.db": parityZoneOrg, "example.net.db": parityZoneNet}
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Listen6: "::1",
		Options: "querylog yes;",
		Conf: `key "k1" { algorithm hmac-sha256; secret "` + tsigSecret + `"; };
zone "example.org" { type primary; file "example.org.db"; };
zone "example.net" { type primary; file "example.net.db"; };`,
		Files:   files,
		LogFile: "named.log",
	})
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	statsAddr := testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1 ::1
	querylog {
		output file query.log
		stats {
			listen %s
		}
	}
	querylog {
		output file query.json
		format json
	}
	tsig {
		secret k1. %s
	}
	chaosmask {
		version "corebind"
	}
	file example.org.db example.org
	file example.net.db example.net
}
`, port, statsAddr, tsigSecret), testkit.CoreDNSOptions{Wait: addr, Files: files})

	clients := make([]string, len(parityCases))
	total := 0
	for i, pc := range parityCases {
		src, server := pc.src, "127.0.0.1"
		if src == "" {
			src = "127.0.0.2"
		}
		if src == "::1" {
			server = "::1"
		}
		sport := testkit.FreePortOn(t, src)
		clients[i] = fmt.Sprintf("%s#%d", src, sport)
		total += pc.lines
		for _, p := range []int{named.Port, port} {
			if pc.wire != nil {
				sendFrom(t, src, sport, testkit.HostPort(server, p), pc.wire(t))
				continue
			}
			// One try: a retry would be a second query line.
			a := append([]string{"@" + server, "-p", strconv.Itoa(p), "-b", fmt.Sprintf("%s#%d", src, sport), "+tries=1", "+time=3"}, pc.args...)
			testkit.Dig(t, nil, a...) // dig fails on purpose for some (bad TSIG)
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(c.Dir, "query.log"))
	if err != nil {
		t.Fatal(err)
	}
	ours := parityLines(string(data))
	var bind map[string][]string
	for range 100 { // named writes its file as it goes; give it a moment
		bind = parityLines(named.Logged())
		n := 0
		for _, cl := range clients {
			n += len(bind[cl])
		}
		if n >= total {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, pc := range parityCases {
		b, o := bind[clients[i]], ours[clients[i]]
		if len(b) != pc.lines || len(o) != pc.lines {
			t.Errorf("%s: BIND wrote %d lines, corebind %d, want %d:\n BIND     %s\n corebind %s", pc.name, len(b), len(o), pc.lines,
				strings.Join(b, "\n          "), strings.Join(o, "\n          "))
			continue
		}
		for j := range b {
			if b[j] != o[j] {
				t.Errorf("%s:\n BIND     %s\n corebind %s", pc.name, b[j], o[j])
			}
		}
	}
	if t.Failed() {
		t.Logf("BIND's log:\n%s\ncorebind's log:\n%s", named.Logged(), data)
	}
	checkParityJSON(t, filepath.Join(c.Dir, "query.json"), clients)
}

// staleSigned is a query signed with k1 an hour ago: BADTIME.
func staleSigned(t *testing.T) []byte {
	m := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
	m.SetTsig("k1.", dns.HmacSHA256, 300, time.Now().Unix()-3600)
	wire, _, err := dns.TsigGenerate(m, tsigSecret, "", false)
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// sendFrom sends wire over UDP from src#sport to addr and waits up to 3s for
// the reply.
func sendFrom(t *testing.T, src string, sport int, addr string, wire []byte) {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(src), Port: sport}, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(wire); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 65535)
	if _, err := c.Read(buf); err != nil {
		t.Errorf("no reply from %s: %v", addr, err)
	}
}

// checkParityJSON: the JSON records carry the ECS option in fields, and a
// TSIG failure is a record of its own type, never a query.
func checkParityJSON(t *testing.T, path string, clients []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	byClient := map[string][]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("JSON record: %v: %s", err, l)
		}
		cl := fmt.Sprintf("%v#%v", r["client_ip"], r["client_port"])
		byClient[cl] = append(byClient[cl], r)
	}
	want := map[string]map[string]any{
		"ECS IPv4":                   {"type": "query", "ecs_family": 1.0, "ecs_address": "192.0.2.0", "ecs_source": 24.0, "ecs_scope": 0.0, "ecs": "192.0.2.0/24/0", "proto": "udp"},
		"ECS IPv4 over TCP":          {"type": "query", "ecs": "192.0.2.0/24/0", "proto": "tcp"},
		"ECS source prefix 0":        {"type": "query", "ecs_family": 1.0, "ecs_address": "0.0.0.0", "ecs_source": 0.0, "ecs": "0.0.0.0/0/0"},
		"ECS IPv6":                   {"type": "query", "ecs_family": 2.0, "ecs_address": "2001:db8::", "ecs_source": 56.0, "ecs": "2001:db8::/56/0"},
		"TSIG unknown key":           {"type": "tsig_failure", "tsig_key": "k2.", "tsig_error": "BADKEY", "proto": "udp"},
		"TSIG wrong secret over TCP": {"type": "tsig_failure", "tsig_key": "k1.", "tsig_error": "BADSIG", "proto": "tcp"},
		"TSIG good":                  {"type": "query", "tsig_key": "k1."},
		"TSIG time an hour off":      {"type": "tsig_failure", "tsig_key": "k1.", "tsig_error": "BADTIME"},
		"CNAME into another zone":    {"type": "query", "qname": "alias.example.org."},
	}
	for i, pc := range parityCases {
		recs := byClient[clients[i]]
		if len(recs) != pc.lines {
			t.Errorf("%s: %d JSON records, want %d", pc.name, len(recs), pc.lines)
			continue
		}
		for k, v := range want[pc.name] {
			if recs[0][k] != v {
				t.Errorf("%s: JSON %s = %v, want %v (%v)", pc.name, k, recs[0][k], v, recs[0])
			}
		}
		if len(recs) == 0 {
			continue
		}
		if _, ok := recs[0]["ecs"]; ok != strings.Contains(pc.name, "ECS") {
			t.Errorf("%s: ecs field present: %v", pc.name, ok)
		}
	}
}

// TestQuerylogInternalLookupsCountOnce: a CNAME into another zone of the
// same block is chased by re-entering the chain; the statistics count the
// client's query once (UDP and TCP), as its one log line.
func TestQuerylogInternalLookupsCountOnce(t *testing.T) {
	testkit.Require(t, "dig")
	files := map[string]string{"example.org.db": parityZoneOrg, "example.net.db": parityZoneNet}
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	statsAddr := testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1
	querylog {
		output file query.log
		stats {
			listen %s
		}
	}
	chaosmask
	file example.org.db example.org
	file example.net.db example.net
}
`, port, statsAddr), testkit.CoreDNSOptions{Wait: addr, Files: files})
	for _, tc := range []struct{ src, proto string }{{"127.0.0.7", "+notcp"}, {"127.0.0.8", "+tcp"}} {
		out, code := testkit.Dig(t, nil, "@127.0.0.1", "-p", strconv.Itoa(port), "-b", tc.src, tc.proto, "+tries=1", "alias.example.org")
		if code != 0 || !strings.Contains(out, "192.0.2.81") {
			t.Fatalf("dig %s alias.example.org: exit %d, want the chased CNAME:\n%s", tc.proto, code, out)
		}
	}
	var doc struct {
		Clients []struct {
			IP      string `json:"ip"`
			Queries int    `json:"queries"`
		} `json:"clients"`
		Names []struct {
			Name    string `json:"name"`
			Queries int    `json:"queries"`
		} `json:"names"`
	}
	counts := map[string]int{}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		doc.Clients, doc.Names = nil, nil
		testkit.GetJSON(t, "http://"+statsAddr+"/json", &doc)
		clear(counts)
		for _, cl := range doc.Clients {
			counts[cl.IP] = cl.Queries
		}
		if counts["127.0.0.7"] > 0 && counts["127.0.0.8"] > 0 {
			break
		}
	}
	for _, ip := range []string{"127.0.0.7", "127.0.0.8"} {
		if counts[ip] != 1 {
			t.Errorf("client %s: queries %d, want 1 (%+v)", ip, counts[ip], doc)
		}
	}
	for _, n := range doc.Names {
		if n.Name == "www.example.net." {
			t.Errorf("the internal lookup of www.example.net is counted as a query name: %+v", doc.Names)
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(c.Dir, "query.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"127.0.0.7", "127.0.0.8"} {
		if n := strings.Count(string(data), " "+ip+"#"); n != 1 {
			t.Errorf("%d lines for %s's one query, want 1:\n%s", n, ip, data)
		}
	}
}
