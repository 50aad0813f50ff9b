package rrl

import (
	"context"
	"fmt"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// FuzzParse feeds arbitrary Corefile text to the parser and the compiler
// of exempt-clients: an error names the line and the problem, nothing
// panics, and what parses is within BIND's limits.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ name, text string }{
		{"bare", "rrl"},
		{"every-option", "rrl example.org {\n responses-per-second 10\n referrals-per-second 8\n nodata-per-second 7\n nxdomains-per-second 6\n errors-per-second 5\n all-per-second 50\n window 5\n slip 0\n ipv4-prefix-length 32\n ipv6-prefix-length 64\n exempt-clients 192.0.2.0/24 !198.51.100.1 key k.\n log-only yes\n max-table-size 100000\n min-table-size 1000\n qps-scale 250\n log syslog udp://127.0.0.1:5514\n facility local3\n tag corebind\n}"},
		{"bad-number", "rrl {\n slip 1e3\n}"},
		{"bad-exempt", "rrl {\n exempt-clients 10.0.0/8\n}"},
		{"max-below-min", "rrl {\n max-table-size 1\n min-table-size 2\n}"},
		{"twice", "rrl\nrrl"},
		{"unknown", "rrl {\n rate-limit\n}"},
	} {
		testkit.Seed(f, s.name, s.text)
	}
	f.Fuzz(func(t *testing.T, input string) {
		c := caddy.NewTestController("dns", input)
		c.ServerBlockKeys = []string{"."}
		cfg, err := parse(c)
		if err != nil {
			testkit.CheckParseError(t, input, err)
			return
		}
		s := cfg.s
		for _, r := range s.rates {
			if r < 0 || r > maxRate {
				t.Fatalf("rate %d accepted: %q", r, input)
			}
		}
		if s.window < 1 || s.window > maxWindow || s.slip < 0 || s.slip > maxSlip || s.maxSize < s.minSize || s.minSize < 1 {
			t.Fatalf("settings out of range accepted: %+v\n%q", s, input)
		}
		list, err := cfg.compile()
		if err != nil {
			testkit.CheckParseError(t, input, err)
			return
		}
		if list != nil {
			list.Match(testkit.FuzzAddr([]byte(input)), "")
		}
	})
}

// FuzzServeDNS feeds arbitrary wire messages from arbitrary client
// addresses over UDP and TCP, several times over, through rrl in front of a
// plugin that answers them (with an rcode and records the fuzzer picks):
// no panic; what is written is one well-formed response or nothing; TCP
// always gets the answer; a slipped reply is truncated and carries no
// records; no more answers than the limit (2 a second, the clock stopped).
func FuzzServeDNS(f *testing.F) {
	plain := func(name string, qtype uint16) *dns.Msg { return new(dns.Msg).SetQuestion(name, qtype) }
	ecs := plain("www.example.org.", dns.TypeA).SetEdns0(1232, false)
	ecs.IsEdns0().Option = append(ecs.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: []byte{10, 0, 0, 0}})
	seeds := []*dns.Msg{
		plain("www.example.org.", dns.TypeA),
		plain("nx.example.org.", dns.TypeAAAA).SetEdns0(4096, true),
		plain("example.org.", dns.TypeANY),
		ecs,
		new(dns.Msg).SetNotify("example.org."),
		new(dns.Msg),
	}
	for i, m := range seeds {
		m.Id = uint16(0x6000 + i)
		wire, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		testkit.Seed(f, fmt.Sprintf("seed-%d", i), wire, testkit.FuzzAddrs[i%len(testkit.FuzzAddrs)], i%2 == 1, uint8(i*3))
	}
	f.Fuzz(func(t *testing.T, wire, src []byte, tcp bool, rcode uint8) {
		r := new(dns.Msg)
		if r.Unpack(wire) != nil {
			return
		}
		s := defaultSettings()
		for c := range classAll {
			s.rates[c] = 2
		}
		s.slip = 2
		h := &RRL{zones: []string{"example.org."}, lim: newLimiter(s, nil), now: func() int64 { return 1000 },
			Next: test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
				rc := int(rcode % 6)
				if rcode&0x80 != 0 {
					return dns.RcodeServerFailure, nil // the server writes it
				}
				m := new(dns.Msg)
				m.SetRcode(r, rc)
				if rc == dns.RcodeSuccess && len(r.Question) > 0 && rcode&0x40 != 0 {
					m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: []byte{192, 0, 2, 1}}}
				}
				w.WriteMsg(m)
				return rc, nil
			})}
		answered := 0
		for range 6 {
			w := testkit.NewFuzzWriter(src, tcp)
			rc, _ := h.ServeDNS(context.Background(), w, r.Copy())
			testkit.CheckReplies(t, r, w)
			msgs := w.Msgs()
			if tcp && len(msgs) == 0 && plugin.ClientWrite(rc) {
				t.Fatalf("TCP query got no reply:\n%v", r)
			}
			if len(msgs) == 1 {
				if m := msgs[0]; m.Truncated && !tcp {
					if len(m.Answer)+len(m.Ns) != 0 {
						t.Fatalf("slipped reply with records:\n%v", m)
					}
				} else {
					answered++
				}
			}
		}
		limited := !tcp && len(r.Question) == 1 && r.Opcode == dns.OpcodeQuery && !hasECS(r) &&
			dns.IsSubDomain("example.org.", r.Question[0].Name)
		if limited && answered > 2 {
			t.Fatalf("%d of 6 answered at 2 a second:\n%v", answered, r)
		}
	})
}
