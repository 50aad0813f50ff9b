package querylog

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// answer is the next handler of these tests: names have an A record,
// except nx.* which do not exist, refused.example.org is refused
// without a reply written (CoreDNS writes it), drop.example.org gets no
// reply at all.
var answer = test.HandlerFunc(func(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	name := strings.ToLower(r.Question[0].Name)
	switch {
	case name == "refused.example.org.":
		return dns.RcodeRefused, nil
	case name == "drop.example.org.":
		return dns.RcodeSuccess, nil
	case strings.HasPrefix(name, "nx."):
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{test.SOA("example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300")}
	default:
		m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: []byte{192, 0, 2, 1}}}
	}
	w.WriteMsg(m)
	return dns.RcodeSuccess, nil
})

// parseHandler parses the querylog directives of corefile for a server
// block with keys and builds the handler, not yet started.
func parseHandler(t testing.TB, corefile string, keys ...string) *Querylog {
	t.Helper()
	c := caddy.NewTestController("dns", corefile)
	c.ServerBlockKeys = keys
	loggers, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newQuerylog(loggers)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newTestHandler sets up the querylog directives of corefile, in which
// LOG stands for a file in a temporary directory, and starts them.
func newTestHandler(t testing.TB, corefile string, next plugin.Handler) (*Querylog, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "query.log")
	h := parseHandler(t, strings.ReplaceAll(corefile, "LOG", path), "example.org.:53", "example.net.:53")
	h.Next = next
	if err := h.startup("dns://:53"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.shutdown() })
	return h, path
}

// lines stops the handler (writing everything) and returns the log lines.
func lines(t *testing.T, h *Querylog, path string) []string {
	t.Helper()
	if err := h.shutdown(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func query(name string, qtype uint16, edit ...func(*dns.Msg)) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	for _, e := range edit {
		e(m)
	}
	return m
}

func withEDNS(do bool) func(*dns.Msg) {
	return func(m *dns.Msg) { m.SetEdns0(1232, do) }
}

func withCookie(m *dns.Msg) {
	opt := m.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
}

var (
	prefixRE = regexp.MustCompile(`^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} (queries|responses): info: client @0x[0-9a-f]+ `)
	idRE     = regexp.MustCompile(`@0x[0-9a-f]+`)
)

// TestBindFormat checks the query line for UDP and TCP, RD on and off,
// EDNS with DO, CD and a cookie, IPv4 and IPv6 clients, and the CH class.
func TestBindFormat(t *testing.T) {
	h, path := newTestHandler(t, "querylog {\noutput file LOG\n}", answer)
	v4 := &test.ResponseWriter{}
	v4tcp := &test.ResponseWriter{TCP: true}
	v6 := &test.ResponseWriter6{}
	tests := []struct {
		w    dns.ResponseWriter
		m    *dns.Msg
		want string
	}{
		{v4, query("www.example.org.", dns.TypeA, withEDNS(false), withCookie),
			"10.240.0.1#40212 (www.example.org): query: www.example.org IN A +E(0)K (127.0.0.1)"},
		{v4tcp, query("www.example.org.", dns.TypeAAAA, func(m *dns.Msg) { m.RecursionDesired = false }, withEDNS(false), withCookie),
			"10.240.0.1#40212 (www.example.org): query: www.example.org IN AAAA -E(0)TK (127.0.0.1)"},
		{v4, query("Www.Example.org.", dns.TypeA, withEDNS(true), func(m *dns.Msg) { m.CheckingDisabled = true }),
			"10.240.0.1#40212 (Www.Example.org): query: Www.Example.org IN A +E(0)DC (127.0.0.1)"},
		{v4, query("nx.example.org.", dns.TypeA),
			"10.240.0.1#40212 (nx.example.org): query: nx.example.org IN A + (127.0.0.1)"},
		{v6, query("www.example.org.", dns.TypeA, withEDNS(false), withCookie),
			"fe80::42:ff:feca:4c65#40212 (www.example.org): query: www.example.org IN A +E(0)K (::1)"},
		{v4, query("version.example.org.", dns.TypeTXT, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS }),
			"10.240.0.1#40212 (version.example.org): query: version.example.org CH TXT + (127.0.0.1)"},
		{v4, query(`a\"b\ c\010d\195\169.example.org.`, dns.TypeA),
			`10.240.0.1#40212 (a\"b\032c\010d\195\169.example.org): query: a\"b\032c\010d\195\169.example.org IN A + (127.0.0.1)`},
	}
	for _, tc := range tests {
		h.ServeDNS(context.Background(), tc.w, tc.m)
	}
	got := lines(t, h, path)
	if len(got) != len(tests) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(tests), strings.Join(got, "\n"))
	}
	for i, tc := range tests {
		loc := prefixRE.FindStringIndex(got[i])
		if loc == nil || !strings.Contains(got[i], " queries: info: ") {
			t.Errorf("line %d has no BIND file-channel prefix: %q", i, got[i])
			continue
		}
		if rest := got[i][loc[1]:]; rest != tc.want {
			t.Errorf("line %d:\n got %s\nwant %s", i, rest, tc.want)
		}
	}
}

// TestResponsesLine: with responses, each query line is followed by a
// response line carrying the same client id.
func TestResponsesLine(t *testing.T) {
	h, path := newTestHandler(t, "querylog {\noutput file LOG\nresponses\n}", answer)
	w := &test.ResponseWriter{}
	for _, name := range []string{"www.example.org.", "nx.example.org.", "refused.example.org.", "drop.example.org."} {
		h.ServeDNS(context.Background(), w, query(name, dns.TypeA, withEDNS(false)))
	}
	got := lines(t, h, path)
	want := []string{
		`query: www.example.org IN A \+E\(0\) \(127.0.0.1\)$`,
		`response: www.example.org IN A NOERROR aa answer 1 authority 0 additional 0 size 64 duration \d+\.\d{6}$`,
		`query: nx.example.org IN A \+E\(0\) \(127.0.0.1\)$`,
		`response: nx.example.org IN A NXDOMAIN aa answer 0 authority 1 additional 0 size 116 duration \d+\.\d{6}$`,
		`query: refused.example.org IN A \+E\(0\) \(127.0.0.1\)$`,
		`response: refused.example.org IN A REFUSED answer 0 authority 0 additional 1 size 48 duration`,
		`query: drop.example.org IN A \+E\(0\) \(127.0.0.1\)$`,
		`response: drop.example.org IN A - answer 0 authority 0 additional 0 size 0 duration`,
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !regexp.MustCompile(want[i]).MatchString(got[i]) {
			t.Errorf("line %d: %q does not match %q", i, got[i], want[i])
		}
		if i%2 == 1 {
			if idRE.FindString(got[i]) != idRE.FindString(got[i-1]) {
				t.Errorf("lines %d and %d have different ids", i-1, i)
			}
			if !strings.Contains(got[i], " responses: info: ") {
				t.Errorf("line %d is not in category responses: %q", i, got[i])
			}
		}
	}
}

// TestJSONFormat parses every field of the JSON records.
func TestJSONFormat(t *testing.T) {
	h, path := newTestHandler(t, "querylog {\noutput file LOG\nformat json\n}", answer)
	ctx := context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{Addr: "dns://:53"})
	h.ServeDNS(ctx, &test.ResponseWriter{TCP: true}, query("www.example.org.", dns.TypeAAAA, withEDNS(true), withCookie,
		func(m *dns.Msg) { m.CheckingDisabled = true; m.Id = 4711 }))
	h.ServeDNS(ctx, &test.ResponseWriter6{}, query("evil\"\n\\\\x.example.net.", dns.TypeA, func(m *dns.Msg) { m.RecursionDesired = false }))
	got := lines(t, h, path)
	if len(got) != 2 {
		t.Fatalf("%d lines:\n%s", len(got), strings.Join(got, "\n"))
	}
	var recs []map[string]any
	for _, l := range got {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		recs = append(recs, r)
	}
	ts, err := time.Parse(time.RFC3339Nano, recs[0]["time"].(string))
	if err != nil || time.Since(ts) > time.Minute || !strings.Contains(recs[0]["time"].(string), ".") {
		t.Errorf("time %v: %v", recs[0]["time"], err)
	}
	delete(recs[0], "time")
	dur := recs[0]["duration_seconds"].(float64)
	if dur < 0 || dur > 10 {
		t.Errorf("duration_seconds %v", dur)
	}
	delete(recs[0], "duration_seconds")
	want := map[string]any{
		"type": "query", "client_ip": "10.240.0.1", "client_port": 40212.0, "server_ip": "127.0.0.1", "server_port": 53.0,
		"proto": "tcp", "qname": "www.example.org.", "qtype": "AAAA", "qclass": "IN", "id": 4711.0,
		"rd": true, "cd": true, "do": true, "edns_version": 0.0, "edns_bufsize": 1232.0, "flags": "+E(0)TDCK",
		"request_size": 56.0, "rcode": "NOERROR", "aa": true, "tc": false, "answers": 1.0, "authority": 0.0, "additional": 0.0,
		"size": 64.0, "zone": "example.org.", "server": "dns://:53",
	}
	for k, v := range want {
		if recs[0][k] != v {
			t.Errorf("%s = %v (%T), want %v", k, recs[0][k], recs[0][k], v)
		}
	}
	for k := range recs[0] {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected field %s", k)
		}
	}
	// No EDNS: no edns_version, bufsize 512. The hostile name stays one
	// line and parses.
	r := recs[1]
	if _, ok := r["edns_version"]; ok {
		t.Error("edns_version without EDNS")
	}
	if r["edns_bufsize"] != 512.0 || r["rd"] != false || r["client_ip"] != "fe80::42:ff:feca:4c65" || r["server_ip"] != "::1" {
		t.Errorf("second record: %v", r)
	}
	if r["qname"] != `evil\"\010\\x.example.net.` || r["zone"] != "example.net." {
		t.Errorf("qname %q zone %q", r["qname"], r["zone"])
	}
}

// TestFilters: ZONES, clients and class select what is logged.
func TestFilters(t *testing.T) {
	h, path := newTestHandler(t, `querylog sub.example.org {
		output file LOG
		clients !10.240.0.1 10.240.0.0/16 ::1 fe80::/10
		class denial
	}`, answer)
	send := func(ip, name string) {
		h.ServeDNS(context.Background(), &test.ResponseWriter{RemoteIP: ip}, query(name, dns.TypeA))
	}
	send("10.240.0.2", "nx.example.org.")      // outside the zone
	send("10.240.0.2", "www.sub.example.org.") // success: not logged
	send("10.240.0.1", "nx.sub.example.org.")  // client excluded
	send("10.241.0.1", "nx.sub.example.org.")  // client not listed
	send("10.240.0.2", "NX.Sub.Example.ORG.")  // logged (case-insensitive zone)
	send("fe80::1", "nx.sub.example.org.")     // logged
	send("10.240.0.3", `nx.a\.sub.example.org.`)
	got := lines(t, h, path)
	if len(got) != 2 || !strings.Contains(got[0], "10.240.0.2#40212 (NX.Sub.Example.ORG)") || !strings.Contains(got[1], "fe80::1#40212") {
		t.Errorf("logged:\n%s", strings.Join(got, "\n"))
	}
}

func TestInZone(t *testing.T) {
	tests := []struct {
		qname, zone string
		want        bool
	}{
		{"example.org.", "example.org.", true},
		{"www.example.org.", "example.org.", true},
		{"WWW.EXAMPLE.ORG.", "example.org.", true},
		{"wwwexample.org.", "example.org.", false},
		{`www\.example.org.`, "example.org.", false},
		{`www\\.example.org.`, "example.org.", true},
		{"org.", "example.org.", false},
		{"anything.", ".", true},
	}
	for _, tc := range tests {
		if got := inZone(tc.qname, tc.zone); got != tc.want {
			t.Errorf("inZone(%q, %q) = %v", tc.qname, tc.zone, got)
		}
	}
}

// TestSigned: a query signed with a key the server verified is logged with
// "S" and "/key NAME", as BIND does; a server without keys verifies nothing.
func TestSigned(t *testing.T) {
	h, path := newTestHandler(t, "querylog {\noutput file LOG\nclients key k1.\n}", answer)
	signed := query("www.example.org.", dns.TypeA, func(m *dns.Msg) { m.SetTsig("k1.", dns.HmacSHA256, 300, time.Now().Unix()) })
	withKeys := context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{TsigSecret: map[string]string{"k1.": "c2VjcmV0"}})
	h.ServeDNS(withKeys, &test.ResponseWriter{}, signed)
	h.ServeDNS(context.Background(), &test.ResponseWriter{}, signed) // unverified: not this client
	h.ServeDNS(withKeys, &test.ResponseWriter{}, query("www.example.org.", dns.TypeA))
	got := lines(t, h, path)
	if len(got) != 1 || !strings.HasSuffix(got[0], "10.240.0.1#40212/key k1 (www.example.org): query: www.example.org IN A +S (127.0.0.1)") {
		t.Errorf("logged:\n%s", strings.Join(got, "\n"))
	}
}

// TestStatsCounts: the statistics count per client and per name, exactly.
func TestStatsCounts(t *testing.T) {
	h, _ := newTestHandler(t, "querylog {\noutput file LOG\nstats {\ntop 10\nnames 10\n}\n}", answer)
	send := func(ip string, tcp bool, name string, n int) {
		for range n {
			h.ServeDNS(context.Background(), &test.ResponseWriter{RemoteIP: ip, TCP: tcp}, query(name, dns.TypeA))
		}
	}
	send("127.0.0.2", false, "www.example.org.", 5)
	send("127.0.0.2", true, "nx.example.org.", 2)
	send("127.0.0.3", false, "WWW.example.org.", 3)
	send("127.0.0.4", false, "refused.example.org.", 1)
	snap := h.loggers[0].stats.snapshot(time.Now())
	if snap.Queries != 11 || snap.Clients != 3 || len(snap.Tracked) != 3 || snap.ErrorBound != 0 {
		t.Fatalf("snapshot: %+v", snap)
	}
	c := snap.Tracked[0]
	k := c.Value
	if c.Key.String() != "127.0.0.2" || c.Count != 7 || c.Error != 0 || k.rcodes[rcodeNoError] != 5 || k.rcodes[rcodeNXDomain] != 2 || k.tcp != 2 || k.rd != 7 {
		t.Errorf("client 127.0.0.2: %+v", c)
	}
	if names := k.topNames(); len(names) != 2 || names[0] != (nameCount{"www.example.org.", 5}) || names[1] != (nameCount{"nx.example.org.", 2}) {
		t.Errorf("names of 127.0.0.2: %+v", names)
	}
	// Without CoreDNS's ScrubWriter here, replies are not compressed.
	if k.received != 5*33+2*32 || k.sent != 5*64+2*116 {
		t.Errorf("bytes received %d sent %d", k.received, k.sent)
	}
	if snap.Tracked[2].Value.rcodes[rcodeRefused] != 1 {
		t.Errorf("127.0.0.4: %+v", snap.Tracked[2])
	}
	if n := snap.Names[0]; n.Key != "www.example.org." || n.Count != 8 || n.Value != 2 {
		t.Errorf("top name: %+v", n)
	}
}

// TestNoAllocations: querylog's own query path allocates once (its
// response writer), stats on. plugin.NextOrFailure adds the allocation
// every plugin that calls the next one pays; the baseline counts it out.
func TestNoAllocations(t *testing.T) {
	h, _ := newTestHandler(t, "querylog {\noutput file LOG\nresponses\nstats\n}", noReply)
	w := newFixedWriter()
	m := query("www.example.org.", dns.TypeA, withEDNS(false), withCookie)
	ctx := context.Background()
	base := testing.AllocsPerRun(200, func() { plugin.NextOrFailure("x", noReply, ctx, w, m) })
	all := testing.AllocsPerRun(200, func() { h.ServeDNS(ctx, w, m) })
	if all-base > 1 {
		t.Errorf("%v allocations per query on top of NextOrFailure's %v, want at most 1", all-base, base)
	}
}

// TestMultipleMessages: a zone transfer's messages add up in the response
// line: records and bytes.
func TestMultipleMessages(t *testing.T) {
	var sizes int
	xfr := test.HandlerFunc(func(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		for i := range 3 {
			m := new(dns.Msg)
			m.SetReply(r)
			for j := range i + 1 {
				m.Answer = append(m.Answer, test.A(fmt.Sprintf("h%d.example.org. 300 IN A 192.0.2.%d", j, j+1)))
			}
			sizes += m.Len()
			w.WriteMsg(m)
		}
		return dns.RcodeSuccess, nil
	})
	h, path := newTestHandler(t, "querylog {\noutput file LOG\nresponses\n}", xfr)
	h.ServeDNS(context.Background(), &test.ResponseWriter{TCP: true}, query("example.org.", dns.TypeAXFR))
	got := lines(t, h, path)
	if len(got) != 2 || !strings.Contains(got[1], fmt.Sprintf("response: example.org IN AXFR NOERROR answer 6 authority 0 additional 0 size %d duration", sizes)) {
		t.Errorf("logged:\n%s", strings.Join(got, "\n"))
	}
}
