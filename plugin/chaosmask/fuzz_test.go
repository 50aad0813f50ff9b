package chaosmask

import (
	"context"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// FuzzParse feeds arbitrary Corefile text to the parser: it must return a
// configuration or an error, never panic, and every text it accepts must
// come out as character-strings that fit the wire.
func FuzzParse(f *testing.F) {
	f.Add("chaosmask")
	f.Add("chaosmask {\n version \"x y\"\n authors a b c\n other none\n nsid pass\n reveal 127.0.0.1 !10.0.0.0/8 key k.\n}")
	f.Fuzz(func(t *testing.T, input string) {
		cm, err := parse(caddy.NewTestController("dns", input))
		if err != nil {
			return
		}
		for _, rep := range cm.replies {
			if rep.action == actText && len(rep.txt) == 0 {
				t.Fatalf("text answer without text: %q", input)
			}
			for _, rr := range rep.txt {
				txt := &dns.TXT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeTXT, Class: dns.ClassCHAOS}, Txt: rr}
				if _, err := dns.PackRR(txt, make([]byte, 65535), 0, nil, false); err != nil {
					t.Fatalf("accepted text does not pack: %v (%q)", err, input)
				}
			}
		}
	})
}

// FuzzServeDNS feeds arbitrary wire messages through chaosmask in front of
// a plugin that echoes the query's EDNS options (an NSID among them) back.
// It must never panic; no CH query of an unrevealed client may pass on; what
// chaosmask writes must pack; no NSID may reach an unrevealed client.
func FuzzServeDNS(f *testing.F) {
	for _, m := range fuzzSeeds() {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, wire []byte, revealed bool) {
		r := new(dns.Msg)
		if r.Unpack(wire) != nil {
			return
		}
		passed := false
		echo := test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
			passed = true
			m := new(dns.Msg)
			m.SetReply(r)
			if o := r.IsEdns0(); o != nil {
				m.SetEdns0(o.UDPSize(), o.Do())
				m.IsEdns0().Option = append(m.IsEdns0().Option, o.Option...)
			}
			w.WriteMsg(m)
			return dns.RcodeSuccess, nil
		})
		cm := newHandler(t, "chaosmask {\nversion \"v\"\nauthors a b\nreveal 127.0.0.5\n}", echo)
		cm.othersOpen = func() bool { return true }
		remote := "192.0.2.1"
		if revealed {
			remote = "127.0.0.5"
		}
		rec := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: remote})
		cm.ServeDNS(context.Background(), rec, r)

		ch := len(r.Question) > 0 && r.Question[0].Qclass == dns.ClassCHAOS
		if ch && !revealed && passed {
			t.Fatalf("CH query of an unrevealed client passed on: %v", r)
		}
		if rec.Msg == nil {
			return
		}
		if !passed {
			if _, err := rec.Msg.Pack(); err != nil {
				t.Fatalf("chaosmask's answer does not pack: %v\n%v", err, rec.Msg)
			}
		}
		if !revealed && hasNSID(rec.Msg) {
			t.Fatalf("NSID sent to an unrevealed client: %v", rec.Msg)
		}
	})
}

func fuzzSeeds() []*dns.Msg {
	ch := func(name string, qtype uint16) *dns.Msg {
		m := new(dns.Msg).SetQuestion(name, qtype)
		m.Question[0].Qclass = dns.ClassCHAOS
		return m
	}
	nsid := func(m *dns.Msg) *dns.Msg {
		m.SetEdns0(1232, true)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
		return m
	}
	hs := new(dns.Msg).SetQuestion("version.bind.", dns.TypeTXT)
	hs.Question[0].Qclass = dns.ClassHESIOD
	notify := new(dns.Msg).SetNotify("version.bind.")
	notify.Question[0].Qclass = dns.ClassCHAOS
	signed := ch("version.bind.", dns.TypeTXT)
	signed.SetTsig("ops-key.", dns.HmacSHA256, 300, 0)
	return []*dns.Msg{
		ch("version.bind.", dns.TypeTXT),
		ch("VERSION.SERVER.", dns.TypeANY),
		ch("hostname.bind.", dns.TypeA),
		nsid(ch("id.server.", dns.TypeTXT)),
		nsid(ch("authors.bind.", dns.TypeTXT)),
		nsid(ch("example.org.", dns.TypeTXT)),
		nsid(new(dns.Msg).SetQuestion("example.org.", dns.TypeA)),
		new(dns.Msg).SetQuestion("example.org.", dns.TypeA),
		hs,
		notify,
		signed,
		new(dns.Msg),
	}
}
