package querylog

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// What gets a query line and what does not, as in BIND 9.18 (the end-to-end
// test e2e/querylog_parity_test.go checks the same side by side with named).

func withECS(family uint16, ip string, source uint8) func(*dns.Msg) {
	return func(m *dns.Msg) {
		if m.IsEdns0() == nil {
			m.SetEdns0(1232, false)
		}
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: family, SourceNetmask: source, Address: net.ParseIP(ip)})
	}
}

// TestECS: BIND's " [ECS address/source/scope]" suffix and the JSON fields.
func TestECS(t *testing.T) {
	h, path := newTestHandler(t, "querylog {\noutput file LOG\n}", answer)
	jh, jpath := newTestHandler(t, "querylog {\noutput file LOG\nformat json\n}", answer)
	tests := []struct {
		w    dns.ResponseWriter
		m    *dns.Msg
		want string
		json map[string]any
	}{
		{&test.ResponseWriter{}, query("www.example.org.", dns.TypeA, withECS(1, "192.0.2.0", 24)),
			"query: www.example.org IN A +E(0) (127.0.0.1) [ECS 192.0.2.0/24/0]",
			map[string]any{"ecs": "192.0.2.0/24/0", "ecs_family": 1.0, "ecs_address": "192.0.2.0", "ecs_source": 24.0, "ecs_scope": 0.0}},
		{&test.ResponseWriter{TCP: true}, query("www.example.org.", dns.TypeA, withECS(1, "0.0.0.0", 0)),
			"query: www.example.org IN A +E(0)T (127.0.0.1) [ECS 0.0.0.0/0/0]",
			map[string]any{"ecs": "0.0.0.0/0/0", "ecs_address": "0.0.0.0", "ecs_source": 0.0}},
		{&test.ResponseWriter6{}, query("www.example.org.", dns.TypeAAAA, withEDNS(false), withCookie, withECS(2, "2001:db8::", 56)),
			"query: www.example.org IN AAAA +E(0)K (::1) [ECS 2001:db8::/56/0]",
			map[string]any{"ecs": "2001:db8::/56/0", "ecs_family": 2.0, "ecs_address": "2001:db8::", "ecs_source": 56.0}},
		{&test.ResponseWriter{}, query("www.example.org.", dns.TypeA, withECS(0, "", 0)),
			"query: www.example.org IN A +E(0) (127.0.0.1) [ECS <unknown address, family 0>/0/0]",
			map[string]any{"ecs": "<unknown address, family 0>/0/0", "ecs_family": 0.0, "ecs_address": nil}},
		{&test.ResponseWriter{}, query("www.example.org.", dns.TypeA, withEDNS(false)),
			"query: www.example.org IN A +E(0) (127.0.0.1)",
			map[string]any{"ecs": nil, "ecs_family": nil}},
	}
	var want []string
	for _, tc := range tests {
		h.ServeDNS(context.Background(), tc.w, tc.m)
		jh.ServeDNS(context.Background(), tc.w, tc.m)
		want = append(want, tc.want)
	}
	recs, jgot := textAndJSON(t, h, path, jh, jpath, want)
	for i, tc := range tests {
		for k, v := range tc.json {
			if recs[i][k] != v {
				t.Errorf("record %d: %s = %v, want %v\n%s", i, k, recs[i][k], v, jgot[i])
			}
		}
	}
}

// TestNotLogged: other opcodes, refused classes other than IN and CH, and
// lookups the server makes to itself get no line and no count.
func TestNotLogged(t *testing.T) {
	h, path := newTestHandler(t, "querylog {\noutput file LOG\nstats\n}", answer)
	w := &test.ResponseWriter{}
	notify := new(dns.Msg).SetNotify("example.org.")
	update := new(dns.Msg).SetUpdate("example.org.")
	status := query("www.example.org.", dns.TypeA, func(m *dns.Msg) { m.Opcode = dns.OpcodeStatus })
	hs := query("refused.example.org.", dns.TypeTXT, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassHESIOD })
	any := query("refused.example.org.", dns.TypeSOA, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassANY })
	hsAnswered := query("www.example.org.", dns.TypeTXT, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassHESIOD })
	chRefused := query("refused.example.org.", dns.TypeTXT, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS })
	internal := context.WithValue(context.Background(), dnsserver.LoopKey{}, 1)

	before := counterValue(t, unloggedTotal.WithLabelValues(metrics.WithServer(context.Background()), reasonNotify))
	for _, m := range []*dns.Msg{notify, update, status, hs, any} {
		h.ServeDNS(context.Background(), w, m)
	}
	h.ServeDNS(internal, w, query("www.example.net.", dns.TypeA))
	// Logged: a client's own query, an answered HS query, a refused CH query.
	h.ServeDNS(context.WithValue(context.Background(), dnsserver.LoopKey{}, 0), w, query("alias.example.org.", dns.TypeA))
	h.ServeDNS(context.Background(), w, hsAnswered)
	h.ServeDNS(context.Background(), w, chRefused)

	snap := h.loggers[0].stats.snapshot(time.Now())
	got := lines(t, h, path)
	want := []string{"query: alias.example.org IN A + (127.0.0.1)", "query: www.example.org HS TXT + (127.0.0.1)", "query: refused.example.org CH TXT + (127.0.0.1)"}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasSuffix(got[i], want[i]) {
			t.Errorf("line %d: %s, want …%s", i, got[i], want[i])
		}
	}
	if snap.Queries != uint64(len(want)) {
		t.Errorf("statistics count %d queries, want %d", snap.Queries, len(want))
	}
	if d := counterValue(t, unloggedTotal.WithLabelValues(metrics.WithServer(context.Background()), reasonNotify)) - before; d != 1 {
		t.Errorf("unlogged_total{reason=notify} grew by %v, want 1", d)
	}
}

// TestTSIGFailure: a request whose signature did not verify gets BIND's
// security line (and a tsig_failure JSON record), never a query line, and
// is not counted as a query.
func TestTSIGFailure(t *testing.T) {
	h, path := newTestHandler(t, "querylog {\noutput file LOG\nstats\n}", answer)
	jh, jpath := newTestHandler(t, "querylog {\noutput file LOG\nformat json\n}", answer)
	withKeys := context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{TsigSecret: map[string]string{"k1.": "c2VjcmV0"}})
	signed := func(key string) *dns.Msg {
		return query("www.example.org.", dns.TypeA, func(m *dns.Msg) { m.SetTsig(key, dns.HmacSHA256, 300, time.Now().Unix()) })
	}
	cases := []struct {
		key    string
		status error
		tcp    bool
		want   string
		code   string
	}{
		{"k2.", dns.ErrSecret, false, "security: error: client @0x1 10.240.0.1#40212: request has invalid signature: TSIG k2: tsig verify failure (BADKEY)", "BADKEY"},
		{"k1.", dns.ErrSig, true, "security: error: client @0x2 10.240.0.1#40212: request has invalid signature: TSIG k1: tsig verify failure (BADSIG)", "BADSIG"},
		{"k1.", dns.ErrTime, false, "security: error: client @0x3 10.240.0.1#40212: request has invalid signature: TSIG k1: tsig verify failure (BADTIME)", "BADTIME"},
	}
	var want []string
	for _, tc := range cases {
		w := &statusWriter{ResponseWriter: test.ResponseWriter{TCP: tc.tcp}, status: tc.status}
		h.ServeDNS(withKeys, w, signed(tc.key))
		jh.ServeDNS(withKeys, w, signed(tc.key))
		want = append(want, tc.want)
	}
	snap := h.loggers[0].stats.snapshot(time.Now())
	recs, jgot := textAndJSON(t, h, path, jh, jpath, want)
	for i, tc := range cases {
		rec := recs[i]
		proto := map[bool]string{false: "udp", true: "tcp"}[tc.tcp]
		if rec["type"] != "tsig_failure" || rec["tsig_key"] != tc.key || rec["tsig_error"] != tc.code || rec["proto"] != proto || rec["qname"] != nil {
			t.Errorf("record %d: %s", i, jgot[i])
		}
	}
	if snap.Queries != 0 {
		t.Errorf("statistics count %d queries for requests that failed TSIG, want 0", snap.Queries)
	}
}

// statusWriter is a test ResponseWriter with a chosen TSIG verification
// result.
type statusWriter struct {
	test.ResponseWriter
	status error
}

func (w *statusWriter) TsigStatus() error { return w.status }

// textAndJSON reads the text log of h and the JSON log of jh, which were
// given the same requests: one line and one record a request, each line
// ending in its want. It returns the records decoded and as written.
func textAndJSON(t *testing.T, h *Querylog, path string, jh *Querylog, jpath string, want []string) ([]map[string]any, []string) {
	t.Helper()
	got, jgot := lines(t, h, path), lines(t, jh, jpath)
	if len(got) != len(want) || len(jgot) != len(want) {
		t.Fatalf("%d lines, %d JSON records, want %d:\n%s\n%s", len(got), len(jgot), len(want), strings.Join(got, "\n"), strings.Join(jgot, "\n"))
	}
	recs := make([]map[string]any, len(want))
	for i := range want {
		if !strings.HasSuffix(got[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant …%s", i, got[i], want[i])
		}
		if err := json.Unmarshal([]byte(jgot[i]), &recs[i]); err != nil {
			t.Fatalf("record %d: %v: %s", i, err, jgot[i])
		}
	}
	return recs, jgot
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
