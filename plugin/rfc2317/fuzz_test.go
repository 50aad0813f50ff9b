package rfc2317

import (
	"context"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/miekg/dns"
)

// FuzzParse feeds arbitrary Corefile text to the parser: it returns a
// configuration or an error naming the line and the problem, never panics,
// and every name it accepts comes out as records that pack.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ name, text string }{
		{"parent", parentBlock},
		{"child", "rfc2317 {\n child 192.0.2.0/29\n}"},
		{"child-label", "rfc2317 {\n child 192.0.2.0/29 0-7\n}"},
		{"every-option", "rfc2317 2.0.192.in-addr.arpa {\n delegate 192.0.2.64/26 ns.customer.example.\n label 192.0.2.64/26 64-127\n addresses 192.0.2.64/26 65-126\n style dash\n ttl 600\n}"},
		{"two-blocks", "rfc2317 {\n delegate 192.0.2.128/25 a.example. b.example.\n style range\n delegate 192.0.2.0/32 c.example.\n}"},
		{"octet-boundary", "rfc2317 {\n delegate 192.0.2.0/24 ns.example.\n}"},
		{"ipv6", "rfc2317 {\n delegate 2001:db8::/64 ns.example.\n}"},
		{"address-as-ns", "rfc2317 {\n delegate 192.0.2.0/29 192.0.2.1\n}"},
		{"label-first", "rfc2317 {\n label 192.0.2.0/29 a/b\n delegate 192.0.2.0/29 ns.example.\n}"},
		{"overlap", "rfc2317 {\n delegate 192.0.2.0/29 ns.example.\n delegate 192.0.2.4/30 ns.example.\n}"},
		{"twice", "rfc2317\nrfc2317"},
		{"ttl-overflow", "rfc2317 {\n ttl 4294967296\n}"},
		{"unknown", "rfc2317 {\n unknown\n}"},
	} {
		testkit.Seed(f, s.name, s.text)
	}
	f.Fuzz(func(t *testing.T, input string) {
		cfg, err := parse(testController(input))
		if err != nil {
			testkit.CheckParseError(t, input, err)
			return
		}
		co := newCore(cfg) // builds the lookup table from what was accepted
		for _, b := range cfg.blocks {
			for _, ns := range b.ns {
				rr := &dns.NS{Hdr: dns.RR_Header{Name: b.zone, Rrtype: dns.TypeNS, Class: dns.ClassINET}, Ns: ns}
				if _, err := dns.PackRR(rr, make([]byte, 65535), 0, nil, false); err != nil {
					t.Fatalf("accepted delegation does not pack: %v (%q)", err, input)
				}
			}
			for octet := int(b.first); octet <= int(b.last); octet++ {
				owner := b.owners[octet-int(b.first)]
				rr := b.cnameRR(owner, uint8(octet), cfg.ttl)
				if _, err := dns.PackRR(rr, make([]byte, 65535), 0, nil, false); err != nil {
					t.Fatalf("accepted block's CNAME does not pack: %v (%q)", err, input)
				}
				if k, got, _ := co.table.classify(owner); got != b || (k != kindCNAME && k != kindChild) {
					t.Fatalf("owner %s of %s is not classified as its own (%q)", owner, b.prefix, input)
				}
			}
		}
	})
}

// FuzzServeDNS feeds arbitrary wire messages from arbitrary client
// addresses over UDP and TCP to a parent-side and a child-side rfc2317,
// each beside a file plugin holding its zone: no panic, and what is
// written is one well-formed response or nothing.
func FuzzServeDNS(f *testing.F) {
	ch := new(dns.Msg).SetQuestion("3.2.0.192.in-addr.arpa.", dns.TypePTR)
	ch.Question[0].Qclass = dns.ClassCHAOS
	two := new(dns.Msg).SetQuestion("3.2.0.192.in-addr.arpa.", dns.TypePTR)
	two.Question = append(two.Question, dns.Question{Name: cut, Qtype: dns.TypeNS, Qclass: dns.ClassINET})
	seeds := []struct {
		name string
		m    *dns.Msg
	}{
		{"cname-ptr", new(dns.Msg).SetQuestion("3.2.0.192.in-addr.arpa.", dns.TypePTR)},
		{"cname-any-upper", new(dns.Msg).SetQuestion("7.2.0.192.IN-ADDR.ARPA.", dns.TypeANY)},
		{"cut-ns", new(dns.Msg).SetQuestion(cut, dns.TypeNS)},
		{"cut-ds", new(dns.Msg).SetQuestion(cut, dns.TypeDS)},
		{"below-cut", new(dns.Msg).SetQuestion("a.b."+cut, dns.TypeSOA)},
		{"outside-block", new(dns.Msg).SetQuestion("10.2.0.192.in-addr.arpa.", dns.TypePTR)},
		{"below-owner", new(dns.Msg).SetQuestion("x.3.2.0.192.in-addr.arpa.", dns.TypePTR)},
		{"axfr", new(dns.Msg).SetQuestion("2.0.192.in-addr.arpa.", dns.TypeAXFR)},
		{"notify", new(dns.Msg).SetNotify("2.0.192.in-addr.arpa.")},
		{"edns-do", new(dns.Msg).SetEdns0(4096, true).SetQuestion("1.2.0.192.in-addr.arpa.", dns.TypePTR)},
		{"no-question", new(dns.Msg)},
		{"chaos", ch},
		{"two-questions", two},
	}
	for i, s := range seeds {
		s.m.Id = uint16(0x5000 + i) // fixed, so regenerating the corpus changes nothing
		wire, err := s.m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		src := testkit.FuzzAddrs[i%len(testkit.FuzzAddrs)]
		testkit.Seed(f, s.name, wire, src, i%2 == 1, false)
		testkit.Seed(f, s.name+"-child", wire, src, i%2 == 0, true)
	}

	parent := newHandler(f, parentBlock, nil, testkit.FileZones(f, map[string]string{"2.0.192.in-addr.arpa.": parentZone}))
	child := newHandler(f, "rfc2317 {\n child 192.0.2.0/29\n}", nil, testkit.FileZones(f, map[string]string{cut: childZone}))
	f.Fuzz(func(t *testing.T, wire, src []byte, tcp, childSide bool) {
		r := new(dns.Msg)
		if r.Unpack(wire) != nil {
			return // the server answers FORMERR itself; no plugin sees it
		}
		h := parent
		if childSide {
			h = child
		}
		w := testkit.NewFuzzWriter(src, tcp)
		h.ServeDNS(context.Background(), w, r.Copy())
		testkit.CheckReplies(t, r, w)
	})
}
