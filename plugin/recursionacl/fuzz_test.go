package recursionacl

import (
	"context"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// FuzzParse feeds arbitrary Corefile text to the parser and, when it
// names no allow-file (which could be any file of the machine), to the
// compiler of the lists: an error names the line and the problem, and
// nothing panics.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ name, text string }{
		{"bare", "recursionacl"},
		{"every-option", "recursionacl example.org {\n acl office 192.0.2.0/24 !192.0.2.9 2001:db8::/32\n acl nested office key ops-key.\n allow nested localhost localnets\n allow ::ffff:10.0.0.1 !any\n authoritative example.org 2.0.192.in-addr.arpa\n deny drop\n log syslog udp://127.0.0.1:5514\n facility local3\n tag corebind\n log-rate 0.5 10\n reload 0\n}"},
		{"allow-file", "recursionacl {\n allow-file allow.txt\n reload 5s\n}"},
		{"bad-element", "recursionacl {\n allow 10.0.0/8\n}"},
		{"unknown-acl", "recursionacl {\n allow office\n}"},
		{"acl-loop", "recursionacl {\n acl a b\n acl b a\n allow a\n}"},
		{"empty-allow", "recursionacl {\n allow\n}"},
		{"deny-other", "recursionacl {\n deny maybe\n}"},
		{"log-twice", "recursionacl {\n log\n log stderr\n}"},
		{"log-rate-nan", "recursionacl {\n log-rate NaN\n}"},
		{"reload-tiny", "recursionacl {\n reload 1ns\n}"},
		{"twice", "recursionacl\nrecursionacl"},
		{"unknown", "recursionacl {\n allow-recursion any\n}"},
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
		for _, l := range cfg.allow {
			if l.path != "" {
				return
			}
		}
		list, err := cfg.compile()
		if err != nil {
			testkit.CheckParseError(t, input, err)
			return
		}
		list.Match(testkit.FuzzAddr([]byte(input)), "")
	})
}

// FuzzServeDNS feeds arbitrary wire messages from arbitrary client
// addresses over UDP and TCP through recursionacl in front of a cache and a
// zone (stubs that answer): no panic; what is written is one well-formed
// response or nothing; a denied client never reaches the cache (recursion)
// and never sees RA=1, an allowed one always does; a denied query outside
// the zone gets the small REFUSED or, with deny drop, nothing.
func FuzzServeDNS(f *testing.F) {
	plain := func(name string, qtype uint16) *dns.Msg { return new(dns.Msg).SetQuestion(name, qtype) }
	norec := plain("www.example.net.", dns.TypeA)
	norec.RecursionDesired = false
	ch := plain("version.bind.", dns.TypeTXT)
	ch.Question[0].Qclass = dns.ClassCHAOS
	signed := plain("www.example.net.", dns.TypeA)
	signed.SetTsig("ops-key.", dns.HmacSHA256, 300, 0)
	ecs := plain("www.example.net.", dns.TypeA).SetEdns0(1232, true)
	ecs.IsEdns0().Option = append(ecs.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: []byte{10, 0, 0, 0}})
	seeds := []struct {
		name string
		m    *dns.Msg
	}{
		{"recursive", plain("www.example.net.", dns.TypeA)},
		{"authoritative", plain("www.example.org.", dns.TypeA)},
		{"authoritative-upper", plain("WWW.EXAMPLE.ORG.", dns.TypeMX)},
		{"no-rd", norec},
		{"edns-do", plain("www.example.net.", dns.TypeA).SetEdns0(4096, true)},
		{"ecs", ecs},
		{"chaos", ch},
		{"tsig", signed},
		{"notify", new(dns.Msg).SetNotify("example.org.")},
		{"root-any", plain(".", dns.TypeANY)},
		{"no-question", new(dns.Msg)},
	}
	srcs := [][]byte{{10, 1, 2, 3}, {10, 9, 0, 1}, {192, 0, 2, 9}, {127, 0, 0, 1}, testkit.FuzzAddrs[4]}
	for i, s := range seeds {
		s.m.Id = uint16(0x5000 + i)
		wire, err := s.m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		testkit.Seed(f, s.name, wire, srcs[i%len(srcs)], i%2 == 1, false)
		testkit.Seed(f, s.name+"-denied-drop", wire, srcs[2], i%2 == 0, true)
	}

	list, err := (&addrmatch.Env{}).Compile(strings.Fields("!10.9.0.0/16 10.0.0.0/8 127.0.0.0/8 ::1 key ops-key."))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, wire, src []byte, tcp, drop bool) {
		r := new(dns.Msg)
		if r.Unpack(wire) != nil {
			return // the server answers FORMERR itself; no plugin sees it
		}
		var cached, zone bool
		h := &RecursionACL{zones: newZoneSet([]string{"."}), drop: drop}
		h.allow.Store(list)
		h.Next = fuzzAnswer(&cached)
		h.local = fuzzAnswer(&zone)
		h.auth = newZoneSet([]string{"example.org."})

		w := testkit.NewFuzzWriter(src, tcp)
		h.ServeDNS(context.Background(), w, r.Copy())
		testkit.CheckReplies(t, r, w)

		if len(r.Question) == 0 {
			return
		}
		if r.Opcode != dns.OpcodeQuery {
			// NOTIFY, UPDATE...: not recursion, passed on untouched.
			if !cached || zone {
				t.Fatalf("opcode %s not passed on: %v", dns.OpcodeToString[r.Opcode], r)
			}
			return
		}
		allowed := list.Match(testkit.FuzzAddr(src).Unmap(), "")
		msgs := w.Msgs()
		if allowed {
			if !cached {
				t.Fatalf("allowed client did not reach the cache: %v", r)
			}
			if len(msgs) == 1 && !msgs[0].RecursionAvailable {
				t.Fatalf("allowed client got RA=0:\n%v", msgs[0])
			}
			return
		}
		if cached {
			t.Fatalf("denied client %v reached the cache: %v", testkit.FuzzAddr(src), r)
		}
		if len(msgs) == 1 && msgs[0].RecursionAvailable {
			t.Fatalf("denied client got RA=1:\n%v", msgs[0])
		}
		if zone || r.Question[0].Qclass == dns.ClassCHAOS {
			return
		}
		if drop {
			if len(msgs) != 0 {
				t.Fatalf("deny drop answered:\n%v", msgs[0])
			}
			return
		}
		if len(msgs) != 1 || msgs[0].Rcode != dns.RcodeRefused || len(msgs[0].Answer)+len(msgs[0].Ns) != 0 {
			t.Fatalf("denied query got %v, want one REFUSED without records", msgs)
		}
		// Never an amplifier: the query's size plus an OPT with EDE 18.
		if out, _ := msgs[0].Pack(); len(out) > len(wire)+17 {
			t.Fatalf("refusal of %d bytes to a query of %d:\n%v", len(out), len(wire), msgs[0])
		}
	})
}

// fuzzAnswer is a plugin of the chain that answers every query (claiming
// RA=1, which recursionacl must set right) and notes that it was reached.
func fuzzAnswer(reached *bool) test.HandlerFunc {
	return func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		*reached = true
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
}
