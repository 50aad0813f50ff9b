package recursionacl

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/plugin/pkg/logsink"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(1, 3)
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	now := time.Unix(1000, 0)
	for i := range 3 {
		if !l.allow(a, now) {
			t.Fatalf("line %d of the burst refused", i+1)
		}
	}
	if l.allow(a, now) {
		t.Error("a 4th line in a burst of 3 allowed")
	}
	if !l.allow(b, now) {
		t.Error("another client is limited by the first")
	}
	if l.allow(a, now.Add(500*time.Millisecond)) {
		t.Error("a line allowed before a token was refilled")
	}
	if !l.allow(a, now.Add(1100*time.Millisecond)) {
		t.Error("no line allowed after a second")
	}
	if !l.allow(a, now.Add(time.Hour)) || !l.allow(a, now.Add(time.Hour)) || !l.allow(a, now.Add(time.Hour)) || l.allow(a, now.Add(time.Hour)) {
		t.Error("a long pause refills no more than the burst")
	}
}

// TestLimiterGlobal: many clients together get at most globalFactor times
// one client's lines, and the table stays its size.
func TestLimiterGlobal(t *testing.T) {
	l := newLimiter(1, 2)
	now := time.Unix(1000, 0)
	allowed := 0
	for i := range 100000 {
		if l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), now) {
			allowed++
		}
	}
	if allowed != 2*globalFactor {
		t.Errorf("%d lines allowed at once for 100000 clients, want %d", allowed, 2*globalFactor)
	}
	if len(l.slots) != limiterSlots {
		t.Errorf("table grew to %d", len(l.slots))
	}
}

func TestFormatDenial(t *testing.T) {
	for _, tc := range []struct {
		d    denial
		want string
	}{
		{denial{id: 0x7f3a2c0b1e68, client: netip.MustParseAddrPort("192.0.2.9:53512"), qname: "www.example.net.", q: dns.Question{Name: "www.example.net.", Qtype: dns.TypeA, Qclass: dns.ClassINET}},
			"client @0x7f3a2c0b1e68 192.0.2.9#53512 (www.example.net): query (cache) 'www.example.net/A/IN' denied"},
		{denial{id: 0x10, client: netip.MustParseAddrPort("[2001:db8::9]:5353"), qname: "alias.example.org.", q: dns.Question{Name: "www.outside.test.", Qtype: dns.TypeAAAA, Qclass: dns.ClassINET}},
			"client @0x10 2001:db8::9#5353 (alias.example.org): query (cache) 'www.outside.test/AAAA/IN' denied"},
		{denial{id: 0x10, client: netip.MustParseAddrPort("[::ffff:192.0.2.9]:1"), key: "k.", qname: `a\ b.example.`, q: dns.Question{Name: `a\ b.example.`, Qtype: 65280, Qclass: dns.ClassINET}},
			`client @0x10 192.0.2.9#1/key k (a\032b.example): query (cache) 'a\032b.example/TYPE65280/IN' denied`},
		{denial{id: 0x10, client: netip.MustParseAddrPort("192.0.2.9:1"), qname: ".", q: dns.Question{Name: ".", Qtype: dns.TypeNS, Qclass: dns.ClassINET}},
			"client @0x10 192.0.2.9#1 (.): query (cache) './NS/IN' denied"},
	} {
		if got := denialLine(t, tc.d); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// denialLine formats d through a queue writing to a file, and returns the
// line without BIND's time prefix, which it checks.
func denialLine(t *testing.T, d denial) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "security.log")
	q, err := logsink.New(logsink.Options[denial]{Output: logsink.Output{Kind: logsink.File, Path: path}, Prefix: true, Format: formatDenial})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	d.time = time.Date(2026, time.November, 21, 5, 13, 46, 776e6, time.Local)
	q.Enqueue(d)
	if err := q.Stop(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line, ok := strings.CutPrefix(strings.TrimSuffix(string(data), "\n"), "21-Nov-2026 05:13:46.776 security: info: ")
	if !ok || strings.Contains(line, "\n") {
		t.Fatalf("not one line with BIND's file-channel prefix: %q", data)
	}
	return line
}

// TestDenialLogging: denials are logged, authoritative answers are not,
// and a lookup made for a denied client's authoritative query is logged
// with the client's own name only when it asked for recursion (as BIND).
func TestDenialLogging(t *testing.T) {
	path := filepath.Join(t.TempDir(), "security.log")
	var trace []string
	h := testHandler(t, &trace, 0)
	var err error
	if h.denials, err = newDenialLog(logsink.Output{Kind: logsink.File, Path: path}, 100, 100); err != nil {
		t.Fatal(err)
	}
	if err := h.denials.q.Start(); err != nil {
		t.Fatal(err)
	}
	ask := func(ctx context.Context, name string, rd bool) {
		r := new(dns.Msg)
		r.SetQuestion(name, dns.TypeA)
		r.RecursionDesired = rd
		h.ServeDNS(ctx, dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: "192.0.2.7"}), r)
	}
	ctx := context.Background()
	ask(ctx, "www.example.net.", true)    // logged
	ask(ctx, "norecurse.example.", false) // logged: RD does not matter for a client query
	ask(ctx, "www.example.org.", true)    // authoritative: not logged
	chase := withQuery(context.WithValue(ctx, dnsserver.LoopKey{}, 1), &query{qname: "alias.example.org.", denied: true})
	ask(chase, "www.outside.test.", true)   // a chase for an RD=1 query: logged
	ask(chase, "www.outside2.test.", false) // RD=0: not logged
	if err := h.denials.q.Stop(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} security: info: client @0x[0-9a-f]+ 192\.0\.2\.7#40212 \(([^)]*)\): query \(cache\) '([^']*)' denied$`)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line not in BIND's form: %q", line)
		}
		got = append(got, m[1]+" "+m[2])
	}
	want := "www.example.net www.example.net/A/IN|norecurse.example norecurse.example/A/IN|alias.example.org www.outside.test/A/IN"
	if strings.Join(got, "|") != want {
		t.Errorf("logged\n %s\nwant\n %s", strings.Join(got, "|"), want)
	}
}

func TestSetupLog(t *testing.T) {
	for _, tc := range []struct {
		input, wantErr string
	}{
		{"recursionacl {\n log\n}", ""},
		{"recursionacl {\n log stderr\n log-rate 0.5\n}", ""},
		{"recursionacl {\n log file security.log\n log-rate 10 50\n}", ""},
		{"recursionacl {\n log syslog udp://127.0.0.1:514\n facility local3\n tag named\n}", ""},
		{"recursionacl {\n facility local3\n log syslog\n}", ""},
		{"recursionacl {\n log file\n}", "Testfile:2 - Error during parsing: log: output file needs exactly one PATH"},
		{"recursionacl {\n log syslog 127.0.0.1\n}", "Error during parsing: log: syslog address"},
		{"recursionacl {\n log kafka\n}", `Error during parsing: log: unknown output "kafka"`},
		{"recursionacl {\n log\n log stderr\n}", "Testfile:3 - Error during parsing: log given twice"},
		{"recursionacl {\n log stdout\n tag named\n}", "facility and tag apply to syslog output only"},
		{"recursionacl {\n facility nowhere\n}", "unknown syslog facility"},
		{"recursionacl {\n log-rate 0\n}", `Error during parsing: log-rate "0": want a number of lines per second above 0`},
		{"recursionacl {\n log-rate NaN\n}", `log-rate "NaN"`},
		{"recursionacl {\n log-rate 1 0\n}", `log-rate burst "0"`},
		{"recursionacl {\n log-rate\n}", `log-rate takes a rate`},
	} {
		_, err := parse(caddy.NewTestController("dns", tc.input))
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%q: error %v, want %q", tc.input, err, tc.wantErr)
		}
	}
	cfg, err := parse(caddy.NewTestController("dns", "recursionacl {\n log-rate 2.5\n}"))
	if err != nil || cfg.logRate != 2.5 || cfg.logBurst != 3 {
		t.Errorf("log-rate 2.5: rate %v burst %v (%v), want 2.5 and 3", cfg.logRate, cfg.logBurst, err)
	}
}
