package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
const parityExampleOrg = `$TTL 300
@          IN SOA ns1 hostmaster 1 3600 600 86400 300
@          IN NS  ns1
ns1        IN A   127.0.0.1
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
`

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
const parityOutside = `$TTL 300
@       IN SOA ns1 hostmaster 1 3600 600 86400 300
@       IN NS  ns1
ns1     IN A   127.0.0.1
www     IN A   198.51.100.7
other   IN A   198.51.100.8
`

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

// parityExchange sends q to addr from q.from and the source port port (0:
// any) and returns the response, nil when none came in time.
func parityExchange(t *testing.T, q parityQuery, addr string, port int) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.Id = dns.Id()
	m.Opcode = q.opcode
	if q.opcode == dns.OpcodeQuery {
		m.RecursionDesired = !q.norec
	}
	m.CheckingDisabled = q.cd
	class := q.class
	if class == 0 {
		class = dns.ClassINET
	}
	name := q.name
	if name != "." {
		name += "."
	}
	m.Question = []dns.Question{{Name: name, Qtype: q.qtype, Qclass: class}}
	if !q.noedns {
		o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		o.SetUDPSize(1232)
		o.SetVersion(q.ednsv)
		o.SetDo(q.do)
		if !q.nocookie {
			cookie := "0123456789abcdef"
			if q.cookie != "" {
				cookie = q.cookie
			}
			o.Option = append(o.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: cookie})
		}
		if q.ecs != "" {
			p := mustPrefix(t, q.ecs)
			e := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())}
			e.Family = 1
			if p.Addr().Is6() {
				e.Family = 2
			}
			o.Option = append(o.Option, e)
		}
		if q.opt {
			o.Option = append(o.Option, &dns.EDNS0_LOCAL{Code: 65001, Data: []byte{1, 2, 3}})
		}
		m.Extra = append(m.Extra, o)
	}
	timeout := 3 * time.Second
	if q.opcode != dns.OpcodeQuery {
		timeout = time.Second // a dropped NOTIFY costs this
	}
	c := &dns.Client{Net: "udp", Timeout: timeout}
	local := net.ParseIP(q.from)
	c.Dialer = &net.Dialer{LocalAddr: &net.UDPAddr{IP: local, Port: port}, Timeout: 3 * time.Second}
	if q.tcp {
		c.Net = "tcp"
		c.Dialer.LocalAddr = &net.TCPAddr{IP: local, Port: port}
	}
	switch q.tsig {
	case "good":
		c.TsigSecret = map[string]string{"k1.": tsigSecret}
		m.SetTsig("k1.", dns.HmacSHA256, 300, time.Now().Unix())
	case "badkey":
		c.TsigSecret = map[string]string{"nokey.": tsigSecret}
		m.SetTsig("nokey.", dns.HmacSHA256, 300, time.Now().Unix())
	case "badsig":
		c.TsigSecret = map[string]string{"k1.": "d3JvbmdzZWNyZXR3cm9uZ3NlY3JldA=="}
		m.SetTsig("k1.", dns.HmacSHA256, 300, time.Now().Unix())
	}
	r, _, err := c.Exchange(m, addr)
	if r != nil {
		// An unverifiable TSIG on the reply (the bad-key cases) still
		// leaves the reply to compare.
		return r
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	t.Fatalf("%s: query to %s: %v", q.id, addr, err)
	return nil
}

// parityFields is a response, field by field, in comparable text.
func parityFields(m *dns.Msg) [][2]string {
	if m == nil {
		return [][2]string{{"response", "none"}}
	}
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Authoritative, "aa"}, {m.Truncated, "tc"}, {m.RecursionDesired, "rd"}, {m.RecursionAvailable, "ra"}, {m.AuthenticatedData, "ad"}, {m.CheckingDisabled, "cd"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	// Additional records that are addresses of the name servers in the
	// authority section are a field of their own: the one place where
	// CoreDNS's file plugin and BIND's minimal-responses no differ always.
	nsNames := map[string]bool{}
	for _, rr := range m.Ns {
		if ns, ok := rr.(*dns.NS); ok {
			nsNames[strings.ToLower(ns.Ns)] = true
		}
	}
	var extra, nsAddrs []dns.RR
	ede, edns, cookie, ecs, tsigErr := "-", "none", "-", "-", "-"
	for _, rr := range m.Extra {
		switch x := rr.(type) {
		case *dns.OPT:
			var codes, eds []string
			for _, o := range x.Option {
				switch o := o.(type) {
				case *dns.EDNS0_EDE:
					eds = append(eds, strconv.Itoa(int(o.InfoCode)))
				case *dns.EDNS0_COOKIE:
					cookie = "server cookie"
				case *dns.EDNS0_SUBNET:
					ecs = o.String()
				default:
					codes = append(codes, strconv.Itoa(int(o.Option())))
				}
			}
			if len(eds) > 0 {
				ede = strings.Join(eds, ",")
			}
			slices.Sort(codes)
			edns = fmt.Sprintf("version %d do %v options [%s]", x.Version(), x.Do(), strings.Join(codes, " "))
		case *dns.TSIG:
			tsigErr = dns.RcodeToString[int(x.Error)]
		case *dns.A, *dns.AAAA:
			if nsNames[strings.ToLower(rr.Header().Name)] {
				nsAddrs = append(nsAddrs, rr)
				continue
			}
			extra = append(extra, rr)
		default:
			extra = append(extra, rr)
		}
	}
	answer := rrText(m.Answer)
	if m.Truncated {
		// Which records fill a truncated answer depends on the RRset
		// order (BIND rotates it): the count is what both must agree on.
		answer = fmt.Sprintf("%d records", len(m.Answer))
	}
	return [][2]string{
		{"rcode", dns.RcodeToString[m.Rcode]},
		{"flags", strings.Join(flags, " ")},
		{"answer", answer},
		{"authority", rrText(m.Ns)},
		{"ns addresses", rrText(nsAddrs)},
		{"additional", rrText(extra)},
		{"ede", ede},
		{"edns", edns},
		{"cookie", cookie},
		{"ecs", ecs},
		{"tsig", tsigErr},
	}
}

// rrText is a section as sorted lines without TTLs (compared apart, see
// ttlDiff), lower-cased owners (BIND keeps the zone's case, CoreDNS the
// query's: 0x20 resolvers compare case-insensitively).
func rrText(rrs []dns.RR) string {
	var out []string
	for _, rr := range rrs {
		f := strings.SplitN(rr.String(), "\t", 3)
		if len(f) == 3 {
			out = append(out, strings.ToLower(f[0])+" "+strings.ReplaceAll(f[2], "\t", " "))
		}
	}
	slices.Sort(out)
	return "[" + strings.Join(out, "; ") + "]"
}

// ttlDiff compares the TTLs of the same records: exactly on authoritative
// answers, within 2 seconds on cached ones (the two caches were filled a
// moment apart).
func ttlDiff(ours, bind *dns.Msg) string {
	if ours == nil || bind == nil {
		return ""
	}
	ttls := func(m *dns.Msg) map[string]uint32 {
		out := map[string]uint32{}
		for _, rr := range append(slices.Clone(m.Answer), m.Ns...) {
			h := *rr.Header()
			out[strings.ToLower(h.Name)+" "+dns.TypeToString[h.Rrtype]] = h.Ttl
		}
		return out
	}
	a, b := ttls(ours), ttls(bind)
	slack := uint32(2)
	if ours.Authoritative && bind.Authoritative {
		slack = 0
	}
	var diffs []string
	for k, v := range a {
		if w, ok := b[k]; ok && (v > w+slack || w > v+slack) {
			diffs = append(diffs, fmt.Sprintf("%s %d/%d", k, v, w))
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, ", ")
}

// parityLogRE splits a query-log line of either server (BIND's file
// channel with print-time, print-category and print-severity).
var parityLogRE = regexp.MustCompile(`^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} (\S+): (\S+): client @0x[0-9a-f]+ ([0-9a-f.:]+)#(\d+)(/key \S+)? \((\S+)\): query: (\S+) (\S+) (\S+) (\S+) \(([0-9a-f.:]+)\)(.*)$`)

var parityLogFields = []string{"category", "severity", "client", "port", "key", "(qname)", "qname", "class", "type", "flags", "destination", "extra"}

// parityLog reads a query log into lines by client address and port. A line
// that does not parse fails the test.
func parityLog(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		m := parityLogRE.FindStringSubmatch(s.Text())
		if m == nil {
			t.Errorf("%s: a line of unknown form: %q", path, s.Text())
			continue
		}
		if m[3] == "127.0.0.1" {
			continue // testkit's readiness probes
		}
		out[m[3]+"#"+m[4]] = append(out[m[3]+"#"+m[4]], m[1:])
	}
	return out
}

// logDiffs compares the log lines of one query.
func logDiffs(ours, bind [][]string) [][3]string {
	var out [][3]string
	line := func(f []string) string {
		return strings.Join(f[6:10], " ") + " (" + f[10] + ")" + f[11]
	}
	if len(ours) != len(bind) {
		// Lines missing or added (not paired up field by field: one cause,
		// one difference).
		var o, b []string
		for _, f := range ours {
			o = append(o, line(f))
		}
		for _, f := range bind {
			b = append(b, line(f))
		}
		return [][3]string{{"log lines", "[" + strings.Join(o, "; ") + "]", "[" + strings.Join(b, "; ") + "]"}}
	}
	for i := range ours {
		for j, name := range parityLogFields {
			if ours[i][j] != bind[i][j] {
				out = append(out, [3]string{"log " + name, ours[i][j], bind[i][j]})
			}
		}
	}
	return out
}

// parityExpected is one line of differences.txt.
type parityExpected struct {
	id, field, reason string
	line              int
	seen              bool
}

var parityStatusRE = regexp.MustCompile(`^(deliberate|open|pending p[a-z]+): \S`)

// loadDifferences reads testdata/parity/differences.txt: "CASE | FIELD |
// REASON" per line, CASE "*" for every case where it occurs.
func loadDifferences(t *testing.T) []*parityExpected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "parity", "differences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*parityExpected
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.SplitN(l, "|", 3)
		if len(f) != 3 || strings.TrimSpace(f[2]) == "" {
			t.Fatalf("differences.txt:%d: want CASE | FIELD | REASON, got %q", i+1, l)
		}
		reason := strings.TrimSpace(f[2])
		if !parityStatusRE.MatchString(reason) {
			t.Errorf("differences.txt:%d: the reason must start with deliberate:, open: or pending BRANCH:, got %q", i+1, reason)
		}
		out = append(out, &parityExpected{id: strings.TrimSpace(f[0]), field: strings.TrimSpace(f[1]), reason: reason, line: i + 1})
	}
	return out
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
	cache
	rfc2317 {
		delegate 192.0.2.0/29 ns.customer.test.
	}
	file example.org.db example.org
	file rev.db 2.0.192.in-addr.arpa
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

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
