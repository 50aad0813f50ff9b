package e2e

// The comparison machinery of TestBINDParity (bindparity_test.go), also used
// by TestRFC2317MatchesBIND: sending one query of the battery, a response
// and a query-log line as comparable fields, the list of known differences.

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
)

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
		if strings.Contains(s.Text(), " security: ") {
			// TSIG failures and denials: compared with named's line by line
			// in querylog_parity_test.go; here BIND's file holds only the
			// queries category.
			continue
		}
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

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
