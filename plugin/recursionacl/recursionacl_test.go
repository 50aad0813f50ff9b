package recursionacl

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
)

// stub stands for a plugin of the chain: it records that it was reached and
// whether the context was local-only, then answers (with RA as ra, which
// recursionacl must override) or fails without writing.
type stub struct {
	name  string
	rcode int // what to return; a non-ClientWrite rcode is returned unwritten
	ra    bool
	trace *[]string
}

func (s stub) Name() string { return s.name }

func (s stub) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	hop := s.name
	if q := queryOf(ctx); q != nil && q.denied {
		hop += "(local)"
	}
	*s.trace = append(*s.trace, hop)
	if !plugin.ClientWrite(s.rcode) {
		return s.rcode, nil
	}
	m := new(dns.Msg)
	m.SetRcode(r, s.rcode)
	m.Authoritative = true
	m.RecursionAvailable = s.ra
	w.WriteMsg(m)
	return s.rcode, nil
}

// testHandler is recursionacl allowing 10.0.0.0/8 except 10.9.0.0/16, with
// example.org authoritative, in front of a cache stub and a file stub.
func testHandler(t *testing.T, trace *[]string, nextRcode int) *RecursionACL {
	t.Helper()
	list, err := (&addrmatch.Env{}).Compile(strings.Fields("!10.9.0.0/16 10.0.0.0/8"))
	if err != nil {
		t.Fatal(err)
	}
	h := &RecursionACL{zones: newZoneSet([]string{"."})}
	h.allow.Store(list)
	h.Next = stub{name: "cache", rcode: nextRcode, trace: trace}
	h.local = stub{name: "file", rcode: nextRcode, ra: true, trace: trace}
	h.auth = newZoneSet([]string{"example.org."})
	return h
}

func TestServeDNS(t *testing.T) {
	tests := []struct {
		name     string
		client   string
		qname    string
		qclass   uint16
		opcode   int
		edns     bool
		tcp      bool
		drop     bool
		loop     int // dnsserver.LoopKey: a lookup the server makes to itself
		zones    []string
		next     int // rcode of the chain below
		trace    string
		rcode    int
		ra       bool
		written  bool
		ede      bool
		result   string // metric result counted, "" none
		retRcode int
	}{
		{name: "allowed recursive", client: "10.1.1.1", qname: "www.example.net.", trace: "cache", ra: true, written: true, result: results[allowed]},
		{name: "allowed authoritative", client: "10.1.1.1", qname: "www.example.org.", trace: "cache", ra: true, written: true, result: results[allowed]},
		{name: "allowed over tcp", client: "10.1.1.1", tcp: true, qname: "www.example.net.", trace: "cache", ra: true, written: true, result: results[allowed]},
		{name: "allowed mapped", client: "::ffff:10.1.1.1", qname: "www.example.net.", trace: "cache", ra: true, written: true, result: results[allowed]},
		{name: "allowed chain fails unwritten", client: "10.1.1.1", qname: "www.example.net.", next: dns.RcodeServerFailure,
			trace: "cache", rcode: dns.RcodeServerFailure, ra: true, written: true, result: results[allowed]},
		{name: "allowed chain refuses unwritten", client: "10.1.1.1", qname: "www.example.net.", next: dns.RcodeRefused,
			trace: "cache", rcode: dns.RcodeRefused, ra: true, written: true, result: results[allowed]},
		{name: "allowed inner lookup not counted", client: "10.1.1.1", qname: "www.example.net.", loop: 1, trace: "cache", ra: true, written: true},

		{name: "denied authoritative", client: "10.9.1.1", qname: "www.example.org.", trace: "file(local)", written: true, result: results[authoritative]},
		{name: "denied authoritative case", client: "10.9.1.1", qname: "WWW.Example.ORG.", trace: "file(local)", written: true, result: results[authoritative]},
		{name: "denied apex", client: "192.0.2.1", qname: "example.org.", trace: "file(local)", written: true, result: results[authoritative]},
		{name: "denied authoritative fails unwritten", client: "192.0.2.1", qname: "www.example.org.", next: dns.RcodeServerFailure,
			trace: "file(local)", rcode: dns.RcodeServerFailure, written: true, result: results[authoritative]},
		{name: "denied recursive", client: "10.9.1.1", qname: "www.example.net.", rcode: dns.RcodeRefused, written: true, result: results[denied]},
		{name: "denied recursive edns", client: "192.0.2.1", qname: "www.example.net.", edns: true, rcode: dns.RcodeRefused, written: true, ede: true, result: results[denied]},
		{name: "denied recursive tcp", client: "192.0.2.1", tcp: true, qname: "www.example.net.", rcode: dns.RcodeRefused, written: true, result: results[denied]},
		{name: "denied ipv6", client: "2001:db8::1", qname: "www.example.net.", rcode: dns.RcodeRefused, written: true, result: results[denied]},
		{name: "denied mapped", client: "::ffff:10.9.1.1", qname: "www.example.net.", rcode: dns.RcodeRefused, written: true, result: results[denied]},
		{name: "denied suffix is no subdomain", client: "192.0.2.1", qname: "notexample.org.", rcode: dns.RcodeRefused, written: true, result: results[denied]},
		{name: "denied drop", client: "192.0.2.1", qname: "www.example.net.", drop: true, result: results[denied]},
		{name: "denied drop tcp", client: "192.0.2.1", tcp: true, qname: "www.example.net.", drop: true, result: results[denied]},
		{name: "denied inner lookup refused silently", client: "192.0.2.1", qname: "www.example.net.", loop: 1, retRcode: dns.RcodeRefused},
		{name: "denied inner lookup of authoritative data", client: "192.0.2.1", qname: "www.example.org.", loop: 1, trace: "file(local)", written: true},
		{name: "denied chaos passes on", client: "192.0.2.1", qname: "version.bind.", qclass: dns.ClassCHAOS, trace: "file(local)", written: true},
		{name: "allowed chaos", client: "10.1.1.1", qname: "version.bind.", qclass: dns.ClassCHAOS, trace: "cache", ra: true, written: true},
		{name: "denied notify passes on", client: "192.0.2.1", qname: "example.net.", opcode: dns.OpcodeNotify, trace: "cache", written: true},
		{name: "denied update passes on", client: "192.0.2.1", qname: "example.net.", opcode: dns.OpcodeUpdate, trace: "cache", written: true},
		{name: "outside the plugin's zones", client: "192.0.2.1", qname: "www.example.net.", zones: []string{"example.com."}, trace: "cache", written: true},
		{name: "inside the plugin's zones", client: "192.0.2.1", qname: "www.example.com.", zones: []string{"example.com."}, rcode: dns.RcodeRefused, written: true, result: results[denied]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var trace []string
			h := testHandler(t, &trace, tc.next)
			h.drop = tc.drop
			if tc.zones != nil {
				h.zones = newZoneSet(tc.zones)
			}
			r := new(dns.Msg)
			r.SetQuestion(tc.qname, dns.TypeA)
			if tc.qclass != 0 {
				r.Question[0].Qclass = tc.qclass
			}
			r.Opcode = tc.opcode
			if tc.edns {
				r.SetEdns0(4096, true)
			}
			w := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: tc.client, TCP: tc.tcp})
			ctx := context.WithValue(context.Background(), dnsserver.LoopKey{}, tc.loop)

			counted := map[string]float64{}
			for _, res := range []string{results[allowed], results[authoritative], results[denied]} {
				counted[res] = counter(t, "", res)
			}
			rcode, err := h.ServeDNS(ctx, w, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(trace, " "); got != tc.trace {
				t.Errorf("path = %q, want %q", got, tc.trace)
			}
			if rcode != tc.retRcode && !(tc.retRcode == 0 && plugin.ClientWrite(rcode)) {
				t.Errorf("returned rcode %d, want %d", rcode, tc.retRcode)
			}
			for _, res := range []string{results[allowed], results[authoritative], results[denied]} {
				want := 0.0
				if res == tc.result {
					want = 1
				}
				if got := counter(t, "", res) - counted[res]; got != want {
					t.Errorf("requests_total{result=%q} rose by %v, want %v", res, got, want)
				}
			}
			if (w.Msg != nil) != tc.written {
				t.Fatalf("reply written = %v, want %v", w.Msg != nil, tc.written)
			}
			if w.Msg == nil {
				return
			}
			m := w.Msg
			if m.Rcode != tc.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.rcode])
			}
			if m.RecursionAvailable != tc.ra {
				t.Errorf("RA = %v, want %v", m.RecursionAvailable, tc.ra)
			}
			if len(m.Question) != 1 || m.Question[0] != r.Question[0] {
				t.Errorf("question %v, want %v echoed", m.Question, r.Question)
			}
			if tc.result == results[denied] {
				if len(m.Answer)+len(m.Ns) != 0 || m.Authoritative {
					t.Errorf("refusal carries data: %v", m)
				}
				if got := hasEDE(m, dns.ExtendedErrorCodeProhibited); got != tc.ede {
					t.Errorf("EDE 18 = %v, want %v", got, tc.ede)
				}
				if !tc.ede && len(m.Extra) != 0 {
					t.Errorf("additional section without EDNS: %v", m.Extra)
				}
			}
		})
	}
}

func TestServeDNSNoQuestion(t *testing.T) {
	var trace []string
	h := testHandler(t, &trace, 0)
	w := dnstest.NewRecorder(&test.ResponseWriter{})
	rcode, _ := h.ServeDNS(context.Background(), w, new(dns.Msg))
	if rcode != dns.RcodeFormatError || len(trace) != 0 || w.Msg != nil {
		t.Errorf("no question: rcode %d, path %v, written %v; want FORMERR left to the server", rcode, trace, w.Msg != nil)
	}
}

func TestRefusalSize(t *testing.T) {
	for _, edns := range []bool{false, true} {
		r := new(dns.Msg)
		r.SetQuestion("www.example.net.", dns.TypeA)
		if edns {
			r.SetEdns0(1232, true)
			// dig's client cookie makes a typical query 11 bytes longer.
			r.IsEdns0().Option = append(r.IsEdns0().Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0123456789abcdef"})
		}
		m := refusal(r)
		q, _ := r.Pack()
		a, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if len(a) > len(q)+6 {
			t.Errorf("edns=%v: refusal is %d bytes for a %d-byte query", edns, len(a), len(q))
		}
		if edns && !m.IsEdns0().Do() {
			t.Error("DO bit not echoed")
		}
	}
}

func TestClientAddr(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.UDPAddr{IP: net.ParseIP("192.0.2.1"), Port: 53}, "192.0.2.1"},
		{&net.UDPAddr{IP: net.ParseIP("192.0.2.1").To4(), Port: 53}, "192.0.2.1"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 53}, "192.0.2.1"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 53}, "2001:db8::1"},
		{&net.IPAddr{IP: net.ParseIP("192.0.2.1")}, "invalid IP"}, // no port: unknown form, denied
		{fakeAddr("[::ffff:198.51.100.1]:5353"), "198.51.100.1"},
		{nil, "invalid IP"},
		{&net.UDPAddr{}, "invalid IP"},
	} {
		got, _ := client.Addr(&addrWriter{addr: tc.addr})
		if got.String() != tc.want {
			t.Errorf("client.Addr(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

// addrWriter is a ResponseWriter whose client is addr.
type addrWriter struct {
	test.ResponseWriter
	addr net.Addr
}

func (w *addrWriter) RemoteAddr() net.Addr { return w.addr }

type fakeAddr string

func (a fakeAddr) Network() string { return "doh" }
func (a fakeAddr) String() string  { return string(a) }

func TestZoneSet(t *testing.T) {
	s := newZoneSet([]string{"Example.ORG", "2.0.192.in-addr.arpa."})
	for name, want := range map[string]bool{
		"example.org.": true, "WWW.example.org.": true, "a.b.c.example.org.": true,
		"org.": false, "notexample.org.": false, "example.org.evil.": false,
		"9.2.0.192.in-addr.arpa.": true, "2.0.192.in-addr.arpa.": true, "3.0.192.in-addr.arpa.": false,
		`a\.example.org.`: false, `a.b\.c.example.org.`: true, ".": false,
	} {
		if got := s.contains(name); got != want {
			t.Errorf("contains(%q) = %v, want %v", name, got, want)
		}
	}
	if root := newZoneSet([]string{"."}); !root.contains("anything.example.") || !root.contains(".") {
		t.Error("the root zone set does not contain everything")
	}
}

func hasEDE(m *dns.Msg, code uint16) bool {
	if o := m.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if ede, ok := e.(*dns.EDNS0_EDE); ok && ede.InfoCode == code {
				return true
			}
		}
	}
	return false
}

// counter reads requests_total{server, result}.
func counter(t *testing.T, server, result string) float64 {
	t.Helper()
	var m dto.Metric
	if err := requestsTotal.WithLabelValues(server, result).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
