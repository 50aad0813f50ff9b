package stubzones

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/miekg/dns"
)

// FuzzParse feeds arbitrary Corefile text to the parser: an error names
// the line and the problem, nothing panics, and what is accepted is usable
// (primaries, timers in order, depth in bounds). Inputs whose dir could
// leave the temporary root (absolute paths, "..", environment variables)
// are not run: the parser creates the directory.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ name, text string }{
		{"minimal", "stubzones {\n primaries 127.0.0.1\n}"},
		{"every-option", "stubzones example.org corp.example {\n primaries 127.0.0.1 127.0.0.2:5353 [::1]:5353\n dir stubs\n tsig ops-key. hmac-sha256 c2VjcmV0\n refresh-min 30s\n refresh-max 1h\n max-depth 4\n port 5353\n}"},
		{"two-directives", "stubzones a.example {\n primaries 127.0.0.1\n}\nstubzones b.example {\n primaries 127.0.0.2\n refresh-min 60\n}"},
		{"no-primaries", "stubzones {\n dir stubs\n}"},
		{"primary-name", "stubzones {\n primaries ns1.example.org\n}"},
		{"primary-zoned", "stubzones {\n primaries fe80::1%eth0\n}"},
		{"tsig-undefined", "stubzones {\n primaries 127.0.0.1\n tsig ops-key.\n}"},
		{"tsig-bad-secret", "stubzones {\n primaries 127.0.0.1\n tsig k. hmac-sha256 !!!\n}"},
		{"timers-reversed", "stubzones {\n primaries 127.0.0.1\n refresh-min 2h\n refresh-max 1h\n}"},
		{"depth-huge", "stubzones {\n primaries 127.0.0.1\n max-depth 1000\n}"},
		{"zone-twice", "stubzones a.example a.example {\n primaries 127.0.0.1\n}"},
		{"bad-zone", "stubzones a..example {\n primaries 127.0.0.1\n}"},
		{"unknown", "stubzones {\n masters 127.0.0.1\n}"},
	} {
		testkit.Seed(f, s.name, s.text)
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, input string) {
		if strings.Contains(input, "dir") && strings.ContainsAny(input, "/\\{") || strings.Contains(input, "..") {
			return
		}
		c := caddy.NewTestController("dns", input)
		c.ServerBlockKeys = []string{"example.org.:53"}
		cfg := dnsserver.GetConfig(c)
		cfg.Root = root
		s, err := parse(c, cfg)
		if err != nil {
			testkit.CheckParseError(t, input, err)
			return
		}
		for _, z := range s.order {
			if len(z.opts.primaries) == 0 || z.opts.refreshMin > z.opts.refreshMax || z.opts.maxDepth < 0 || z.opts.maxDepth > maxMaxDepth {
				t.Fatalf("zone %s accepted with unusable options %+v (%q)", z.name, *z.opts, input)
			}
			if _, ok := dns.IsDomainName(z.name); !ok {
				t.Fatalf("zone %q accepted (%q)", z.name, input)
			}
		}
	})
}

// FuzzServeDNS feeds arbitrary wire messages from arbitrary client
// addresses over UDP and TCP to a loaded stub zone whose name servers run
// on loopback, and, when lying is set, makes every name server answer with
// arbitrary bytes too (the query's ID patched in, so the reply is taken as
// the answer): no panic, what the client gets is one well-formed response
// or nothing, and no answer record from outside the zone reaches it. Queries without a question are not run: CoreDNS's
// server drops them before any plugin (dnsserver.Server.ServeDNS).
func FuzzServeDNS(f *testing.F) {
	rd := func(name string, qtype uint16) *dns.Msg { return new(dns.Msg).SetQuestion(name, qtype) }
	nord := func(name string, qtype uint16) *dns.Msg {
		m := rd(name, qtype)
		m.RecursionDesired = false
		return m
	}
	ch := rd("www.example.org.", dns.TypeA)
	ch.Question[0].Qclass = dns.ClassCHAOS
	seeds := []struct {
		name string
		m    *dns.Msg
	}{
		{"resolve", rd("www.example.org.", dns.TypeA)},
		{"cname-in-zone", rd("alias.example.org.", dns.TypeA)},
		{"two-levels-down", rd("host.deep.sub.example.org.", dns.TypeA)},
		{"cname-down", rd("deepalias.example.org.", dns.TypeA)},
		{"cname-outside", rd("far.example.org.", dns.TypeA)},
		{"nxdomain", rd("nx.example.org.", dns.TypeA)},
		{"referral", nord("www.example.org.", dns.TypeA)},
		{"apex-any-upper", rd("EXAMPLE.ORG.", dns.TypeANY)},
		{"axfr", rd("example.org.", dns.TypeAXFR)},
		{"notify", new(dns.Msg).SetNotify("example.org.")},
		{"edns-do", rd("www.sub.example.org.", dns.TypeAAAA).SetEdns0(4096, true)},
		{"chaos", ch},
		{"outside", rd("www.example.net.", dns.TypeA)},
	}
	// Replies a lying name server might send: a referral out of
	// bailiwick, a CNAME loop, a truncated answer, an answer with records
	// outside the zone, garbage.
	outOfBailiwick := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
	outOfBailiwick.Response = true
	outOfBailiwick.Ns = []dns.RR{rrs("example.org. 300 IN NS ns.evil.test.")[0], rrs("www.example.org. 300 IN NS ns.evil.test.")[0]}
	outOfBailiwick.Extra = []dns.RR{rrs("ns.evil.test. 300 IN A 127.0.0.66")[0]}
	loop := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
	loop.Response, loop.Authoritative = true, true
	loop.Answer = rrs("www.example.org. 300 IN CNAME www.example.org.")
	tc := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
	tc.Response, tc.Truncated = true, true
	poison := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeA)
	poison.Response, poison.Authoritative = true, true
	poison.Answer = rrs("www.example.org. 300 IN CNAME www.evil.test.", "www.evil.test. 300 IN A 127.0.0.66")
	poison.Extra = rrs("ns1.evil.test. 300 IN A 127.0.0.66")
	lies := [][]byte{nil}
	for _, m := range []*dns.Msg{outOfBailiwick, loop, tc, poison} {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		lies = append(lies, b)
	}
	lies = append(lies, []byte{0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c})
	for i, s := range seeds {
		s.m.Id = uint16(0x5000 + i)
		wire, err := s.m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		src := testkit.FuzzAddrs[i%len(testkit.FuzzAddrs)]
		testkit.Seed(f, s.name, wire, src, i%2 == 1, false, []byte(nil))
		lie := lies[1+i%(len(lies)-1)]
		testkit.Seed(f, s.name+"-lying", wire, src, i%2 == 0, true, lie)
	}

	// The poisoned answer to the very question asked.
	q := rd("www.example.org.", dns.TypeA)
	q.Id = 0x5100
	testkit.Seed(f, "resolve-poisoned", fuzzPack(f, q), testkit.FuzzAddrs[0], false, true, lies[len(lies)-2])

	tr := fuzzTree(f)
	f.Fuzz(func(t *testing.T, wire, src []byte, tcp, lying bool, lie []byte) {
		r := new(dns.Msg)
		if r.Unpack(wire) != nil || len(r.Question) == 0 {
			return
		}
		for ip, srv := range tr.servers {
			if lying {
				srv.set(fuzzLiar(lie))
			} else {
				srv.set(tr.honest[ip])
			}
		}
		w := testkit.NewFuzzWriter(src, tcp)
		tr.s.ServeDNS(context.Background(), w, r.Copy())
		testkit.CheckReplies(t, r, w)
		// Bailiwick: whatever the name servers say, the client gets no
		// answer record outside the stub zone, but for the rest of the
		// chain's answer to a name outside every stub zone (nextHandler's
		// TXT "next"). A CNAME target outside the zone is looked up
		// through the whole server, which this target does not run: the
		// client gets SERVFAIL then.
		for _, m := range w.Msgs() {
			for _, rr := range m.Answer {
				if txt, ok := rr.(*dns.TXT); ok && len(txt.Txt) == 1 && txt.Txt[0] == "next" {
					continue
				}
				if !dns.IsSubDomain(zoneName, rr.Header().Name) {
					t.Fatalf("answer record outside %s given to the client: %v\n%v", zoneName, rr, m)
				}
			}
		}
	})
}

// fuzzTree is startTree (stubzones_test.go) for a fuzz target: the same
// name servers on loopback and the stub zone loaded from them.
type fuzzTreeT struct {
	*tree
	honest map[string]func(dns.ResponseWriter, *dns.Msg)
}

func fuzzTree(f *testing.F) *fuzzTreeT {
	ips := []string{"127.0.0.31", "127.0.0.32", "127.0.0.33", "127.0.0.34"}
	tr := &fuzzTreeT{
		tree:   &tree{port: commonPort(f, ips...), servers: map[string]*testServer{}, clock: newFakeClock()},
		honest: map[string]func(dns.ResponseWriter, *dns.Msg){},
	}
	parent := authServer(f, map[string]string{"example.org.": treeParent})
	for ip, h := range map[string]func(dns.ResponseWriter, *dns.Msg){
		"127.0.0.31": parent,
		"127.0.0.32": parent,
		"127.0.0.33": authServer(f, map[string]string{"sub.example.org.": treeSub}),
		"127.0.0.34": authServer(f, map[string]string{"deep.sub.example.org.": treeDeep}),
	} {
		tr.honest[ip] = h
		tr.servers[ip] = startServer(f, ip, tr.port, h)
	}
	o := testOptions(fmt.Sprintf("127.0.0.31:%d", tr.port))
	o.port = uint16(tr.port)
	tr.s = newTestStubzones(tr.clock, map[string]*options{zoneName: o})
	tr.s.Next = nextHandler()
	var backoff = o.refreshMin
	var expired bool
	tr.s.refresh(context.Background(), tr.s.zones[zoneName], &backoff, &expired)
	if tr.s.zones[zoneName].data.Load() == nil {
		f.Fatal("stub zone did not load")
	}
	return tr
}

// fuzzLiar answers every query with lie, the query's ID patched in. It
// never stays silent: a timeout per query would make the run crawl, and
// silence is the handler tests' (TestServeDNSLameServers).
func fuzzLiar(lie []byte) func(dns.ResponseWriter, *dns.Msg) {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		b := append([]byte(nil), lie...)
		if len(b) >= 2 {
			b[0], b[1] = byte(r.Id>>8), byte(r.Id)
		}
		w.Write(b)
	}
}

// fuzzPack packs m for a seed.
func fuzzPack(f *testing.F, m *dns.Msg) []byte {
	b, err := m.Pack()
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzReferralCut feeds arbitrary messages to the check that decides
// whether delegations holds a reply back: it must never panic, and what it
// calls a cut must lie strictly below the parent.
func FuzzReferralCut(f *testing.F) {
	ref := new(dns.Msg)
	ref.SetQuestion("www.sub.example.org.", dns.TypeA)
	ref.Ns = []dns.RR{&dns.NS{Hdr: dns.RR_Header{Name: "sub.example.org.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 300}, Ns: "ns.sub.example.org."}}
	if b, err := ref.Pack(); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil || len(m.Question) == 0 {
			return
		}
		cut := referralCut(m, "example.org.", m.Question[0].Name)
		if cut != "" && (cut == "example.org." || !dns.IsSubDomain("example.org.", cut)) {
			t.Fatalf("cut %q is not below example.org.", cut)
		}
		if cut != "" {
			newNSSet(cut, m.Ns, m.Extra, 53)
		}
	})
}
