package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

// The side-by-side comparison with BIND 9: one named and one corebind with
// the same zones, allow lists and TSIG key, both forwarding to a third
// server (a BIND holding "the rest of the world"), get the same queries from
// several client addresses; their query-log lines and responses are
// compared field by field. What differs on purpose, or is being fixed on
// another branch, is listed in testdata/parity/differences.txt; every other
// difference fails the test, and so does a listed one that no longer
// occurs.
//
// Clients: 127.0.0.2 may recurse, 127.0.0.3 may not, 127.0.0.4 may not by
// address but signs with the key k1, which may.
const (
	parityAllowed = "127.0.0.2"
	parityDenied  = "127.0.0.3"
	paritySigner  = "127.0.0.4"
)

// parityExampleOrg has in-zone and out-of-zone CNAME chains, a wildcard and
// a delegation with glue.
var parityExampleOrg = testkit.Zone(`ns1        IN A   127.0.0.1
www        IN A   192.0.2.80
www        IN TXT "hello world"
alias      IN CNAME www
chain      IN CNAME alias
out        IN CNAME www.outside.test.
*.wild     IN A   192.0.2.99
sub        IN NS  ns.sub
ns.sub     IN A   127.0.0.53
big        IN TXT "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big        IN TXT "1123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big        IN TXT "2123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
`)

// parityRev is the reverse zone; rfc2317 on corebind and $GENERATE on BIND
// (parityRevGenerate) delegate 192.0.2.0/29 to the customer.
const parityRev = `$TTL 86400
@    IN SOA ns.isp.test. hostmaster.isp.test. 2026010101 7200 3600 1209600 600
@    IN NS  ns.isp.test.
10   IN PTR host10.isp.test.
`

const parityRevGenerate = `$GENERATE 0-7 $ 600 CNAME $.0/29
0/29 600 IN NS ns.customer.test.
`

// The forwarder's zones: the world outside, and the delegated sub zone
// (so that BIND, which resolves below its own delegation through its
// forwarders, finds an answer).
var parityOutside = testkit.Zone(`ns1     IN A   127.0.0.1
www     IN A   198.51.100.7
other   IN A   198.51.100.8
`)

const paritySub = `$TTL 300
@       IN SOA ns hostmaster 1 3600 600 86400 300
@       IN NS  ns
ns      IN A   127.0.0.53
host    IN A   192.0.2.53
`

// parityQuery is one query of the battery.
type parityQuery struct {
	id       string // the case name in differences.txt
	from     string // client address
	tcp      bool
	name     string // query name in presentation format (escapes allowed)
	qtype    uint16
	class    uint16 // default IN
	norec    bool
	noedns   bool
	nocookie bool
	do, cd   bool
	ecs      string // "192.0.2.0/24", "2001:db8::/56", "0.0.0.0/0"
	ednsv    uint8  // EDNS version (1 → BADVERS)
	opt      bool   // an unknown EDNS option (65001)
	tsig     string // "" | "good" | "badkey" | "badsig"
	opcode   int    // default QUERY
	// cookie is the whole cookie option in hex (client and server
	// cookie); "bind" is the one BIND last returned to this client.
	cookie string
}

// parityQueries run in this order against both servers: the caches see the
// same history.
var parityQueries = []parityQuery{
	// Authoritative data, allowed client.
	{id: "www", from: parityAllowed, name: "www.example.org", qtype: dns.TypeA},
	{id: "www-tcp", from: parityAllowed, tcp: true, name: "www.example.org", qtype: dns.TypeA},
	{id: "www-norec", from: parityAllowed, norec: true, name: "www.example.org", qtype: dns.TypeA},
	{id: "www-nodata", from: parityAllowed, name: "www.example.org", qtype: dns.TypeMX},
	{id: "www-txt", from: parityAllowed, name: "www.example.org", qtype: dns.TypeTXT},
	{id: "nxdomain", from: parityAllowed, name: "nx.example.org", qtype: dns.TypeA},
	{id: "apex-ns", from: parityAllowed, norec: true, name: "example.org", qtype: dns.TypeNS},
	{id: "apex-soa", from: parityAllowed, name: "example.org", qtype: dns.TypeSOA},
	{id: "chain", from: parityAllowed, name: "chain.example.org", qtype: dns.TypeA},
	{id: "chain-cname", from: parityAllowed, name: "chain.example.org", qtype: dns.TypeCNAME},
	{id: "wildcard", from: parityAllowed, name: "host.wild.example.org", qtype: dns.TypeA},
	{id: "wildcard-nodata", from: parityAllowed, name: "host.wild.example.org", qtype: dns.TypeTXT},
	{id: "out-cname", from: parityAllowed, name: "out.example.org", qtype: dns.TypeA},
	// Denied client, authoritative data.
	{id: "denied-www", from: parityDenied, name: "www.example.org", qtype: dns.TypeA},
	{id: "denied-chain", from: parityDenied, tcp: true, name: "chain.example.org", qtype: dns.TypeA},
	{id: "denied-out-cname", from: parityDenied, name: "out.example.org", qtype: dns.TypeA},
	{id: "denied-nxdomain", from: parityDenied, name: "nx.example.org", qtype: dns.TypeA},
	// Recursion through the forwarder.
	{id: "outside", from: parityAllowed, name: "www.outside.test", qtype: dns.TypeA},
	{id: "outside-tcp", from: parityAllowed, tcp: true, name: "www.outside.test", qtype: dns.TypeA},
	{id: "outside-norec-cached", from: parityAllowed, norec: true, name: "www.outside.test", qtype: dns.TypeA},
	{id: "outside-norec-miss", from: parityAllowed, norec: true, name: "other.outside.test", qtype: dns.TypeA},
	{id: "outside-nx", from: parityAllowed, name: "nx.outside.test", qtype: dns.TypeA},
	{id: "denied-outside", from: parityDenied, name: "www.outside.test", qtype: dns.TypeA},
	{id: "denied-outside-norec", from: parityDenied, norec: true, tcp: true, name: "www.outside.test", qtype: dns.TypeA},
	// The delegation below example.org.
	{id: "deleg", from: parityAllowed, name: "host.sub.example.org", qtype: dns.TypeA},
	{id: "deleg-norec", from: parityAllowed, norec: true, name: "host.sub.example.org", qtype: dns.TypeA},
	{id: "denied-deleg", from: parityDenied, name: "host.sub.example.org", qtype: dns.TypeA},
	{id: "deleg-ns", from: parityDenied, name: "sub.example.org", qtype: dns.TypeNS},
	// RFC 2317.
	{id: "rfc2317-ptr", from: parityAllowed, norec: true, name: "3.2.0.192.in-addr.arpa", qtype: dns.TypePTR},
	{id: "rfc2317-cname", from: parityDenied, norec: true, name: "3.2.0.192.in-addr.arpa", qtype: dns.TypeCNAME},
	{id: "rfc2317-any", from: parityDenied, norec: true, tcp: true, name: "3.2.0.192.in-addr.arpa", qtype: dns.TypeANY},
	{id: "rfc2317-cut", from: parityDenied, norec: true, name: "5.0/29.2.0.192.in-addr.arpa", qtype: dns.TypePTR},
	{id: "rev-own", from: parityDenied, name: "10.2.0.192.in-addr.arpa", qtype: dns.TypePTR},
	{id: "rev-own-any", from: parityAllowed, norec: true, name: "10.2.0.192.in-addr.arpa", qtype: dns.TypeANY},
	{id: "rev-nxdomain", from: parityAllowed, norec: true, name: "20.2.0.192.in-addr.arpa", qtype: dns.TypePTR},
	{id: "rev-nxdomain-soa", from: parityAllowed, norec: true, name: "20.2.0.192.in-addr.arpa", qtype: dns.TypeSOA},
	{id: "rev-nodata", from: parityAllowed, norec: true, name: "10.2.0.192.in-addr.arpa", qtype: dns.TypeTXT},
	// Flags and EDNS.
	{id: "noedns", from: parityAllowed, noedns: true, name: "www.example.org", qtype: dns.TypeA},
	{id: "nocookie", from: parityAllowed, nocookie: true, name: "www.example.org", qtype: dns.TypeA},
	{id: "do-cd", from: parityAllowed, do: true, cd: true, name: "www.example.org", qtype: dns.TypeA},
	{id: "do-cd-tcp-norec", from: parityDenied, do: true, cd: true, tcp: true, norec: true, name: "www.example.org", qtype: dns.TypeA},
	{id: "ecs4", from: parityAllowed, ecs: "192.0.2.0/24", name: "www.example.org", qtype: dns.TypeA},
	{id: "ecs6-tcp", from: parityAllowed, tcp: true, ecs: "2001:db8::/56", name: "www.example.org", qtype: dns.TypeA},
	{id: "ecs0", from: parityDenied, ecs: "0.0.0.0/0", name: "www.example.org", qtype: dns.TypeA},
	{id: "edns1", from: parityAllowed, ednsv: 1, name: "www.example.org", qtype: dns.TypeA},
	{id: "unknown-option", from: parityAllowed, opt: true, name: "www.example.org", qtype: dns.TypeA},
	{id: "cookie-valid", from: parityAllowed, cookie: "bind", name: "www.example.org", qtype: dns.TypeA},
	{id: "cookie-bogus", from: parityDenied, cookie: "0123456789abcdef" + "00112233445566778899aabbccddeeff", name: "www.example.org", qtype: dns.TypeA},
	// Odd names.
	{id: "case", from: parityAllowed, name: "WwW.ExAmPlE.oRg", qtype: dns.TypeA},
	{id: "escapes", from: parityAllowed, name: `a\"b\032c\(d\)\;e\@\$\\.example.org`, qtype: dns.TypeA},
	{id: "dot-in-label", from: parityDenied, name: `a\.b.example.org`, qtype: dns.TypeA},
	{id: "bytes", from: parityAllowed, name: `\000\010\127\195\169.example.org`, qtype: dns.TypeA},
	{id: "root", from: parityDenied, name: ".", qtype: dns.TypeNS},
	{id: "v6-www", from: "::1", name: "www.example.org", qtype: dns.TypeAAAA},
	{id: "v6-outside-tcp", from: "::1", tcp: true, name: "www.outside.test", qtype: dns.TypeA},
	{id: "type-unknown", from: parityAllowed, name: "www.example.org", qtype: 65280},
	// TSIG.
	{id: "tsig-good", from: paritySigner, tsig: "good", name: "www.outside.test", qtype: dns.TypeA},
	{id: "tsig-good-auth", from: paritySigner, tsig: "good", tcp: true, name: "www.example.org", qtype: dns.TypeA},
	{id: "tsig-badkey", from: paritySigner, tsig: "badkey", name: "www.example.org", qtype: dns.TypeA},
	{id: "tsig-badsig", from: paritySigner, tsig: "badsig", name: "www.example.org", qtype: dns.TypeA},
	{id: "unsigned-signer", from: paritySigner, name: "www.outside.test", qtype: dns.TypeA},
	// Other opcodes and classes.
	{id: "notify", from: parityAllowed, opcode: dns.OpcodeNotify, norec: true, name: "example.org", qtype: dns.TypeSOA},
	{id: "chaos-version", from: parityDenied, class: dns.ClassCHAOS, name: "version.bind", qtype: dns.TypeTXT},
	{id: "class-any", from: parityAllowed, class: dns.ClassANY, name: "www.example.org", qtype: dns.TypeA},
	{id: "axfr-denied", from: parityDenied, tcp: true, name: "example.org", qtype: dns.TypeAXFR},
	// Truncation: 600 bytes of TXT without EDNS (512), then with EDNS.
	{id: "big-noedns", from: parityAllowed, noedns: true, name: "big.example.org", qtype: dns.TypeTXT},
	{id: "big-noedns-tcp", from: parityAllowed, noedns: true, tcp: true, name: "big.example.org", qtype: dns.TypeTXT},
	{id: "big-edns", from: parityAllowed, name: "big.example.org", qtype: dns.TypeTXT},
}

// TestBINDParity is the side-by-side comparison.
func TestBINDParity(t *testing.T) {
	testkit.Require(t, "named")
	expected := loadDifferences(t)
	ids := map[string]bool{"*": true}
	for _, q := range parityQueries {
		if ids[q.id] {
			t.Fatalf("case %s twice", q.id)
		}
		ids[q.id] = true
	}
	readme, err := os.ReadFile(filepath.Join(testkit.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range expected {
		if !ids[e.id] {
			t.Errorf("differences.txt:%d: no case %q", e.line, e.id)
		}
		// README.md's "Differences from BIND" mirrors the list.
		if row := fmt.Sprintf("| `%s` | %s | %s |", e.id, e.field, strings.ReplaceAll(e.reason, "|", `\|`)); !strings.Contains(string(readme), row) {
			t.Errorf("differences.txt:%d: README.md has no row %q", e.line, row)
		}
	}

	fwd := testkit.StartNamed(t, testkit.NamedOptions{
		Conf: `zone "outside.test" { type primary; file "outside.db"; };
zone "sub.example.org" { type primary; file "sub.db"; };`,
		Files: map[string]string{"outside.db": parityOutside, "sub.db": paritySub},
	})
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Logging: true,
		Listen6: "::1",
		Options: fmt.Sprintf(`recursion yes;
	allow-recursion { %s; key k1; };
	forwarders port %d { 127.0.0.1; };
	forward only;
	querylog yes;
	allow-transfer { none; };
	version "parity";`, parityAllowed, fwd.Port),
		Conf: `key "k1" { algorithm hmac-sha256; secret "` + tsigSecret + `"; };
logging {
	channel queries_file { file "queries.log"; print-time yes; print-category yes; print-severity yes; severity info; };
	category queries { queries_file; };
	category default { default_stderr; };
};
zone "example.org" { type primary; file "example.org.db"; };
zone "2.0.192.in-addr.arpa" { type primary; file "rev.db"; };`,
		Files: map[string]string{"example.org.db": parityExampleOrg, "rev.db": parityRev + parityRevGenerate},
	})
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1 ::1
	querylog {
		output file queries.log
	}
	chaosmask {
		version parity
	}
	tsig {
		secret k1. %s
	}
	recursionacl {
		allow %s key k1
	}
	cache {
		disable success sub.example.org
		disable denial sub.example.org
	}
	rfc2317 {
		delegate 192.0.2.0/29 ns.customer.test.
	}
	file example.org.db example.org
	file rev.db 2.0.192.in-addr.arpa
	delegations example.org {
		forward
	}
	forward . %s
}
`, port, tsigSecret, parityAllowed, fwd.Addr), testkit.CoreDNSOptions{
		Wait:  addr,
		Files: map[string]string{"example.org.db": parityExampleOrg, "rev.db": parityRev},
	})

	// Every query from a source port of its own, never reused, so that
	// each log line belongs to exactly one query.
	used := map[string]bool{}
	sport := func(ip string) int {
		for {
			p := testkit.FreePortOn(t, ip)
			if k := ip + "#" + strconv.Itoa(p); !used[k] {
				used[k] = true
				return p
			}
		}
	}
	type result struct {
		ours, bind       *dns.Msg
		oursKey, bindKey string
	}
	results := make([]result, len(parityQueries))
	serverCookie := map[string]string{} // BIND's last cookie, by client
	for i, q := range parityQueries {
		if q.cookie == "bind" {
			// The cookie BIND gave this client: BIND logs V for it;
			// corebind, which has no server cookies, K.
			q.cookie = serverCookie[q.from]
		}
		pb, po := sport(q.from), sport(q.from)
		bindAddr, oursAddr := named.Addr, addr
		if strings.Contains(q.from, ":") {
			bindAddr, oursAddr = testkit.HostPort("::1", named.Port), testkit.HostPort("::1", port)
		}
		results[i] = result{
			bind: parityExchange(t, q, bindAddr, pb), bindKey: q.from + "#" + strconv.Itoa(pb),
			ours: parityExchange(t, q, oursAddr, po), oursKey: q.from + "#" + strconv.Itoa(po),
		}
		if o := results[i].bind; o != nil && o.IsEdns0() != nil {
			for _, opt := range o.IsEdns0().Option {
				if c, ok := opt.(*dns.EDNS0_COOKIE); ok {
					serverCookie[q.from] = c.Cookie
				}
			}
		}
	}
	// A record enqueued after SIGTERM is lost (caddy runs the shutdown
	// callbacks, which close querylog's queue, before it stops the
	// servers), so a last query's line may be missing when the server
	// stops right after answering it. Wait for a sentinel's line first:
	// the queue is in order.
	sentinel := parityQuery{id: "sentinel", from: "127.0.0.5", name: "sentinel.example.org", qtype: dns.TypeA}
	sp := sport(sentinel.from)
	parityExchange(t, sentinel, addr, sp)
	logPath := filepath.Join(c.Dir, "queries.log")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		data, _ := os.ReadFile(logPath)
		if strings.Contains(string(data), fmt.Sprintf(" %s#%d ", sentinel.from, sp)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("corebind did not log the sentinel query within 10s:\n%s", data)
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("corebind stop: %v", err)
	}
	if err := named.Stop(); err != nil {
		t.Fatalf("named stop: %v", err)
	}
	oursLog := parityLog(t, logPath)
	delete(oursLog, fmt.Sprintf("%s#%d", sentinel.from, sp))
	bindLog := parityLog(t, filepath.Join(named.Dir, "queries.log"))

	var report []string
	for i, q := range parityQueries {
		r := results[i]
		var diffs [][3]string
		of, bf := parityFields(r.ours), parityFields(r.bind)
		if len(of) != len(bf) {
			diffs = append(diffs, [3]string{"response", fmt.Sprint(of), fmt.Sprint(bf)})
		} else {
			for j := range of {
				if of[j] != bf[j] {
					diffs = append(diffs, [3]string{of[j][0], of[j][1], bf[j][1]})
				}
			}
		}
		if d := ttlDiff(r.ours, r.bind); d != "" {
			diffs = append(diffs, [3]string{"ttl", d, "(corebind/bind)"})
		}
		// Log lines are compared with the port rewritten: each server saw
		// the query from a port of its own.
		ol, bl := oursLog[r.oursKey], bindLog[r.bindKey]
		for _, l := range ol {
			l[3] = "PORT"
		}
		for _, l := range bl {
			l[3] = "PORT"
		}
		diffs = append(diffs, logDiffs(ol, bl)...)
		delete(oursLog, r.oursKey)
		delete(bindLog, r.bindKey)

		for _, d := range diffs {
			var match *parityExpected
			for _, e := range expected {
				if (e.id == q.id || e.id == "*") && e.field == d[0] {
					match = e
					if e.id == q.id {
						break
					}
				}
			}
			desc := fmt.Sprintf("%-22s %-16s corebind %s\n%-22s %-16s BIND     %s", q.id, d[0], d[1], "", "", d[2])
			if match == nil {
				t.Errorf("unexpected difference (not in differences.txt):\n%s", desc)
				continue
			}
			match.seen = true
			if match.id == q.id {
				report = append(report, desc+"\n  ↳ "+match.reason)
			}
		}
	}
	for k, l := range oursLog {
		t.Errorf("corebind logged a line for no query of the battery (%s): %v", k, l)
	}
	for k, l := range bindLog {
		t.Errorf("BIND logged a line for no query of the battery (%s): %v", k, l)
	}
	for _, e := range expected {
		if !e.seen {
			t.Errorf("differences.txt:%d: %s %s no longer differs: remove the line (%s)", e.line, e.id, e.field, e.reason)
		}
	}
	t.Logf("expected differences:\n%s", strings.Join(report, "\n"))
}
