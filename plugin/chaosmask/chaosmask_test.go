package chaosmask

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"unicode"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
)

// newHandler parses corefile into a handler whose Next is next.
func newHandler(t testing.TB, corefile string, next test.Handler) *Chaosmask {
	t.Helper()
	cm, err := parse(caddy.NewTestController("dns", corefile))
	if err != nil {
		t.Fatalf("parse %q: %v", corefile, err)
	}
	cm.Next = next
	return cm
}

// nextCounter is the rest of the chain: it counts the queries that reach it
// and answers as the chaos plugin would, with the real identity.
type nextCounter struct{ calls int }

const realText = "real-identity"

func (n *nextCounter) ServeDNS(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	n.calls++
	m := new(dns.Msg)
	m.SetReply(r)
	if len(r.Question) > 0 {
		q := r.Question[0]
		m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: q.Qclass}, Txt: []string{realText}}}
	}
	w.WriteMsg(m)
	return dns.RcodeSuccess, nil
}

func (n *nextCounter) Name() string { return "next" }

// spellings returns the lower case, upper case and mixed case spellings of name.
func spellings(name string) []string {
	mixed := []byte(name)
	for i := range mixed {
		if i%2 == 0 {
			mixed[i] = byte(unicode.ToUpper(rune(mixed[i])))
		}
	}
	return []string{name, strings.ToUpper(name), string(mixed)}
}

// want is the expected outcome of one CH query answered by chaosmask.
type want struct {
	rcode int
	txt   [][]string // TXT records, nil when none
}

// TestServeDNSMatrix runs every identity name and some others, in three
// spellings, through qtypes, classes and EDNS or not, under three
// configurations.
func TestServeDNSMatrix(t *testing.T) {
	configs := []struct {
		name     string
		corefile string
		// byName maps a lower-case identity name to the answer for TXT/ANY;
		// other names get otherWant.
		byName    map[string]want
		otherWant want
	}{
		{
			name:     "bare",
			corefile: "chaosmask",
			byName: map[string]want{
				"version.bind.": {}, "version.server.": {}, "hostname.bind.": {}, "id.server.": {}, "authors.bind.": {},
			},
			otherWant: want{rcode: dns.RcodeRefused},
		},
		{
			name: "text",
			corefile: `chaosmask {
				version "masked version"
				hostname masked-host
				id masked-id
				authors alice bob
				other none
			}`,
			byName: map[string]want{
				"version.bind.":   {txt: [][]string{{"masked version"}}},
				"version.server.": {txt: [][]string{{"masked version"}}},
				"hostname.bind.":  {txt: [][]string{{"masked-host"}}},
				"id.server.":      {txt: [][]string{{"masked-id"}}},
				"authors.bind.":   {txt: [][]string{{"alice"}, {"bob"}}},
			},
			otherWant: want{},
		},
		{
			name: "refuse",
			corefile: `chaosmask {
				version refuse
				hostname refuse
				id refuse
				authors refuse
			}`,
			byName: map[string]want{
				"version.bind.": {rcode: dns.RcodeRefused}, "version.server.": {rcode: dns.RcodeRefused},
				"hostname.bind.": {rcode: dns.RcodeRefused}, "id.server.": {rcode: dns.RcodeRefused},
				"authors.bind.": {rcode: dns.RcodeRefused},
			},
			otherWant: want{rcode: dns.RcodeRefused},
		},
	}
	qnames := []string{"version.bind.", "version.server.", "hostname.bind.", "id.server.", "authors.bind.",
		"example.org.", "bind.", "server.", "version.bind.example.", "xversion.bind.", "."}
	qtypes := []uint16{dns.TypeTXT, dns.TypeANY, dns.TypeA, dns.TypeNS, dns.TypeSOA}
	classes := []uint16{dns.ClassCHAOS, dns.ClassINET, dns.ClassHESIOD, dns.ClassANY, dns.ClassNONE}

	for _, cfg := range configs {
		next := &nextCounter{}
		cm := newHandler(t, cfg.corefile, next)
		for _, qname := range qnames {
			for _, spelled := range spellings(qname) {
				for _, qtype := range qtypes {
					for _, qclass := range classes {
						for _, edns := range []bool{false, true} {
							name := fmt.Sprintf("%s/%s/%s/%s/edns=%v", cfg.name, spelled, dns.TypeToString[qtype], dns.ClassToString[qclass], edns)
							r := new(dns.Msg)
							r.SetQuestion(spelled, qtype)
							r.Question[0].Qclass = qclass
							if edns {
								r.SetEdns0(1232, false)
							}
							rec := dnstest.NewRecorder(&test.ResponseWriter{})
							before := next.calls
							rcode, err := cm.ServeDNS(context.Background(), rec, r)
							if err != nil {
								t.Fatalf("%s: error %v", name, err)
							}
							passed := next.calls > before

							switch qclass {
							case dns.ClassINET:
								if !passed || rec.Msg == nil || rec.Msg.Answer[0].(*dns.TXT).Txt[0] != realText {
									t.Errorf("%s: IN query not passed on untouched", name)
								}
								continue
							case dns.ClassCHAOS:
							default:
								// No chaos or forward after chaosmask: CoreDNS would refuse.
								if passed || rec.Msg != nil || rcode != dns.RcodeRefused {
									t.Errorf("%s: got rcode %d, written %v, passed %v; want REFUSED for the server to write", name, rcode, rec.Msg != nil, passed)
								}
								continue
							}

							if passed {
								t.Errorf("%s: CH query passed on", name)
								continue
							}
							if rcode != dns.RcodeSuccess || rec.Msg == nil {
								t.Errorf("%s: returned %d, written %v; want the answer written", name, rcode, rec.Msg != nil)
								continue
							}
							exp, ok := cfg.byName[qname]
							if !ok {
								exp = cfg.otherWant
							} else if qtype != dns.TypeTXT && qtype != dns.TypeANY && exp.rcode == dns.RcodeSuccess {
								exp.txt = nil // NODATA: the name exists, the type does not
							}
							checkAnswer(t, name, r, rec.Msg, exp)
						}
					}
				}
			}
		}
	}
}

// checkAnswer checks m, chaosmask's reply to r, against exp.
func checkAnswer(t *testing.T, name string, r, m *dns.Msg, exp want) {
	t.Helper()
	if m.Rcode != exp.rcode {
		t.Errorf("%s: rcode %s, want %s", name, dns.RcodeToString[m.Rcode], dns.RcodeToString[exp.rcode])
	}
	if !m.Response || m.Id != r.Id || m.Authoritative || m.Opcode != r.Opcode {
		t.Errorf("%s: header QR %v ID %d AA %v opcode %d; want QR, ID %d, AA clear, opcode %d", name, m.Response, m.Id, m.Authoritative, m.Opcode, r.Id, r.Opcode)
	}
	if len(m.Question) != 1 || m.Question[0] != r.Question[0] {
		t.Errorf("%s: question %v, want %v echoed", name, m.Question, r.Question)
	}
	if len(m.Answer) != len(exp.txt) {
		t.Fatalf("%s: %d answers, want %d: %v", name, len(m.Answer), len(exp.txt), m.Answer)
	}
	for i, rr := range m.Answer {
		txt, ok := rr.(*dns.TXT)
		if !ok {
			t.Errorf("%s: answer %v is not TXT", name, rr)
			continue
		}
		h := txt.Hdr
		if h.Name != r.Question[0].Name || h.Class != dns.ClassCHAOS || h.Ttl != 0 {
			t.Errorf("%s: answer header %q class %d TTL %d; want %q, CH, 0", name, h.Name, h.Class, h.Ttl, r.Question[0].Name)
		}
		if fmt.Sprint(txt.Txt) != fmt.Sprint(exp.txt[i]) {
			t.Errorf("%s: answer %d text %q, want %q", name, i, txt.Txt, exp.txt[i])
		}
	}
	if len(m.Ns) != 0 {
		t.Errorf("%s: authority section %v, want empty", name, m.Ns)
	}
	o := m.IsEdns0()
	switch {
	case r.IsEdns0() == nil && o != nil:
		t.Errorf("%s: OPT in reply to a query without EDNS", name)
	case r.IsEdns0() != nil && o == nil:
		t.Errorf("%s: no OPT in reply to an EDNS query", name)
	case o != nil:
		var ede *dns.EDNS0_EDE
		for _, e := range o.Option {
			if e, ok := e.(*dns.EDNS0_EDE); ok {
				ede = e
			}
		}
		if refused := exp.rcode == dns.RcodeRefused; refused != (ede != nil) || (ede != nil && ede.InfoCode != dns.ExtendedErrorCodeProhibited) {
			t.Errorf("%s: EDE %v on rcode %s; want EDE 18 (Prohibited) exactly on REFUSED", name, ede, dns.RcodeToString[exp.rcode])
		}
	}
}

func TestLongTextOnTheWire(t *testing.T) {
	// 300 bytes: quotes, a backslash, UTF-8 straddling byte 255.
	text := `say "hi" \ ` + strings.Repeat("x", 243) + "ü" + strings.Repeat("y", 44)
	// The Corefile lexer unescapes only \" inside quotes.
	cm := newHandler(t, "chaosmask {\nversion \""+strings.ReplaceAll(text, `"`, `\"`)+"\"\n}", &nextCounter{})
	r := new(dns.Msg)
	r.SetQuestion("version.bind.", dns.TypeTXT)
	r.Question[0].Qclass = dns.ClassCHAOS
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	cm.ServeDNS(context.Background(), rec, r)

	wire, err := rec.Msg.Pack()
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	// The TXT RDATA is the tail of the message: length-prefixed strings.
	rdlen := len(text) + 2
	rdata := wire[len(wire)-rdlen:]
	var got []string
	for len(rdata) > 0 {
		n := int(rdata[0])
		got = append(got, string(rdata[1:1+n]))
		rdata = rdata[1+n:]
	}
	if len(got) != 2 || len(got[0]) != 254 || strings.Join(got, "") != text {
		t.Errorf("wire strings %q (lengths %d), want the text split into 254 and 46 bytes", got, lens(got))
	}
}

func lens(ss []string) []int {
	var n []int
	for _, s := range ss {
		n = append(n, len(s))
	}
	return n
}

func TestReveal(t *testing.T) {
	for _, tc := range []struct {
		name       string
		remote     string
		tsig       string // key the query is signed with
		tsigErr    error  // verification result
		noKeys     bool   // the server holds no TSIG keys
		othersOpen bool
		passed     bool
		rcode      int
	}{
		{name: "address in reveal", remote: "127.0.0.5", othersOpen: true, passed: true},
		{name: "address not in reveal", remote: "127.0.0.6", othersOpen: true},
		{name: "IPv6", remote: "::1", othersOpen: true, passed: true},
		{name: "IPv4-mapped IPv6", remote: "::ffff:127.0.0.5", othersOpen: true, passed: true},
		{name: "negated", remote: "10.0.0.1", othersOpen: true},
		{name: "in the prefix", remote: "10.0.0.2", othersOpen: true, passed: true},
		{name: "verified TSIG key", remote: "192.0.2.7", tsig: "admin.", othersOpen: true, passed: true},
		{name: "TSIG key failing verification", remote: "192.0.2.7", tsig: "admin.", tsigErr: dns.ErrSig, othersOpen: true},
		{name: "another TSIG key", remote: "192.0.2.7", tsig: "other.", othersOpen: true},
		// A listener without TSIG keys (no tsig plugin) verifies nothing.
		{name: "TSIG key on a server without keys", remote: "192.0.2.7", tsig: "admin.", noKeys: true, othersOpen: true},
		// Nothing after chaosmask opens CH: CoreDNS would have refused.
		{name: "revealed, no chaos or forward", remote: "127.0.0.5", rcode: dns.RcodeRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &nextCounter{}
			cm := newHandler(t, "chaosmask {\nversion hidden\nreveal 127.0.0.5 ::1 !10.0.0.1 10.0.0.0/8 key admin.\n}", next)
			cm.othersOpen = func() bool { return tc.othersOpen }
			r := new(dns.Msg)
			r.SetQuestion("version.bind.", dns.TypeTXT)
			r.Question[0].Qclass = dns.ClassCHAOS
			if tc.tsig != "" {
				r.SetTsig(tc.tsig, dns.HmacSHA256, 300, 0)
			}
			w := &tsigWriter{ResponseWriter: test.ResponseWriter{RemoteIP: tc.remote}, status: tc.tsigErr}
			rec := dnstest.NewRecorder(w)
			ctx := context.Background()
			if !tc.noKeys {
				ctx = context.WithValue(ctx, dnsserver.Key{}, &dnsserver.Server{TsigSecret: map[string]string{"admin.": "c2VjcmV0"}})
			}
			rcode, _ := cm.ServeDNS(ctx, rec, r)
			if passed := next.calls > 0; passed != tc.passed {
				t.Fatalf("passed on: %v, want %v", passed, tc.passed)
			}
			if rcode != tc.rcode {
				t.Errorf("rcode %d, want %d", rcode, tc.rcode)
			}
			switch {
			case tc.rcode != dns.RcodeSuccess:
				if rec.Msg != nil {
					t.Errorf("wrote %v; want the server to write REFUSED", rec.Msg)
				}
			case tc.passed:
				if rec.Msg.Answer[0].(*dns.TXT).Txt[0] != realText {
					t.Errorf("revealed client got %v, want the real answer", rec.Msg.Answer)
				}
			default:
				if rec.Msg.Answer[0].(*dns.TXT).Txt[0] != "hidden" {
					t.Errorf("unrevealed client got %v, want the masked answer", rec.Msg.Answer)
				}
			}
		})
	}
}

// tsigWriter is a test ResponseWriter with a chosen TSIG verification result.
type tsigWriter struct {
	test.ResponseWriter
	status error
}

func (w *tsigWriter) TsigStatus() error { return w.status }

func TestOtherClassesPassWhenOpened(t *testing.T) {
	next := &nextCounter{}
	cm := newHandler(t, "chaosmask", next)
	cm.othersOpen = func() bool { return true }
	for _, class := range []uint16{dns.ClassHESIOD, dns.ClassANY, dns.ClassNONE, 42} {
		r := new(dns.Msg)
		r.SetQuestion("version.bind.", dns.TypeTXT)
		r.Question[0].Qclass = class
		before := next.calls
		cm.ServeDNS(context.Background(), dnstest.NewRecorder(&test.ResponseWriter{}), r)
		if next.calls == before {
			t.Errorf("class %d: not passed on although forward or chaos opened the server to it", class)
		}
	}
}

func TestNonQueryOpcodeIsOther(t *testing.T) {
	next := &nextCounter{}
	cm := newHandler(t, "chaosmask {\nversion shown\nother none\n}", next)
	r := new(dns.Msg)
	r.SetNotify("version.bind.")
	r.Question[0].Qclass = dns.ClassCHAOS
	r.Question[0].Qtype = dns.TypeTXT
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	cm.ServeDNS(context.Background(), rec, r)
	if next.calls != 0 || rec.Msg == nil || len(rec.Msg.Answer) != 0 || rec.Msg.Rcode != dns.RcodeSuccess || rec.Msg.Opcode != dns.OpcodeNotify {
		t.Errorf("CH NOTIFY: got %v; want other's answer (NOERROR, empty)", rec.Msg)
	}
}

func TestNoQuestionPassesOn(t *testing.T) {
	next := &nextCounter{}
	cm := newHandler(t, "chaosmask", next)
	cm.ServeDNS(context.Background(), dnstest.NewRecorder(&test.ResponseWriter{}), new(dns.Msg))
	if next.calls != 1 {
		t.Error("a message without a question was not passed on")
	}
}

// TestInternalLookupPassesOn: a lookup the server makes to itself (file
// chasing a CNAME, dnsserver.LoopKey > 0) is no client's query: passed on as
// it is, nothing counted, nothing scrubbed (the client's own query is).
func TestInternalLookupPassesOn(t *testing.T) {
	calls := 0
	next := test.HandlerFunc(func(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		calls++
		m := new(dns.Msg).SetReply(r)
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: "6e73"})
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	})
	cm := newHandler(t, "chaosmask {\nversion v\n}", next)
	internal := context.WithValue(context.Background(), dnsserver.LoopKey{}, 1)
	ch := new(dns.Msg).SetQuestion("version.bind.", dns.TypeTXT)
	ch.Question[0].Qclass = dns.ClassCHAOS
	before := counter(t, "version.bind", "text")
	cm.ServeDNS(internal, dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: "192.0.2.1"}), ch)
	if calls != 1 {
		t.Error("an internal CH lookup was answered, not passed on")
	}
	if got := counter(t, "version.bind", "text") - before; got != 0 {
		t.Errorf("an internal lookup was counted %v times", got)
	}
	nsid := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
	nsid.SetEdns0(1232, false)
	nsid.IsEdns0().Option = append(nsid.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
	for _, tc := range []struct {
		ctx      context.Context
		wantNSID bool
	}{{internal, true}, {context.Background(), false}} {
		rec := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: "192.0.2.1"})
		cm.ServeDNS(tc.ctx, rec, nsid)
		got := rec.Msg != nil && rec.Msg.IsEdns0() != nil && len(rec.Msg.IsEdns0().Option) > 0
		if got != tc.wantNSID {
			t.Errorf("internal %v: NSID in the reply %v, want %v", tc.ctx != context.Background(), got, tc.wantNSID)
		}
	}
}

type addrWriter struct {
	test.ResponseWriter
	addr net.Addr
}

func (w *addrWriter) RemoteAddr() net.Addr { return w.addr }

func TestMetrics(t *testing.T) {
	next := &nextCounter{}
	cm := newHandler(t, "chaosmask {\nversion v\nhostname refuse\nreveal 127.0.0.5\n}", next)
	cm.othersOpen = func() bool { return true }
	query := func(remote, qname string, qtype uint16) {
		r := new(dns.Msg)
		r.SetQuestion(qname, qtype)
		r.Question[0].Qclass = dns.ClassCHAOS
		cm.ServeDNS(context.Background(), dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: remote}), r)
	}
	type key struct{ name, action string }
	checks := []struct {
		key
		queries func()
	}{
		{key{"version.bind", "text"}, func() { query("192.0.2.1", "VERSION.bind.", dns.TypeTXT) }},
		{key{"version.server", "none"}, func() { query("192.0.2.1", "version.server.", dns.TypeA) }},
		{key{"hostname.bind", "refuse"}, func() { query("192.0.2.1", "hostname.bind.", dns.TypeTXT) }},
		{key{"id.server", "none"}, func() { query("192.0.2.1", "id.server.", dns.TypeTXT) }},
		{key{"authors.bind", "revealed"}, func() { query("127.0.0.5", "authors.bind.", dns.TypeTXT) }},
		{key{"other", "refuse"}, func() { query("192.0.2.1", "example.org.", dns.TypeTXT) }},
	}
	for _, c := range checks {
		before := counter(t, c.name, c.action)
		c.queries()
		if got := counter(t, c.name, c.action) - before; got != 1 {
			t.Errorf("queries_total{name=%q,action=%q} grew by %v, want 1", c.name, c.action, got)
		}
	}
	// IN queries are not counted.
	before := counter(t, "other", "revealed") + counter(t, "other", "none") + counter(t, "other", "refuse")
	r := new(dns.Msg)
	r.SetQuestion("example.org.", dns.TypeA)
	cm.ServeDNS(context.Background(), dnstest.NewRecorder(&test.ResponseWriter{}), r)
	if after := counter(t, "other", "revealed") + counter(t, "other", "none") + counter(t, "other", "refuse"); after != before {
		t.Error("an IN query was counted")
	}
}

func counter(t *testing.T, name, action string) float64 {
	t.Helper()
	var m dto.Metric
	if err := queriesTotal.WithLabelValues("", name, action).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
