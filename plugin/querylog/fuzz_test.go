package querylog

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// FuzzParse feeds arbitrary Corefile text to the parser: an error names
// the line and the problem, nothing panics, and what is accepted keeps the
// documented bounds (so a typo cannot ask for gigabytes).
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ name, text string }{
		{"bare", "querylog"},
		{"every-option", "querylog example.org 2.0.192.in-addr.arpa {\n output file query.log\n format json\n class denial error\n clients !127.0.0.9 127.0.0.0/8 ::1 key ops-key.\n responses\n buffer 10000\n stats {\n  top 200\n  names 500\n  interval 1h\n  listen 127.0.0.1:9154\n }\n}"},
		{"syslog-tcp", "querylog {\n output syslog tcp://127.0.0.1:6514\n format json\n facility local3\n tag corebind\n}"},
		{"syslog-unix", "querylog {\n output syslog unix:/dev/log\n}"},
		{"syslog-udp-v6", "querylog {\n output syslog udp://[::1]:5514\n}"},
		{"two-directives", "querylog {\n output stdout\n}\nquerylog {\n output stderr\n format json\n}"},
		{"buffer-huge", "querylog {\n buffer 100000000000\n}"},
		{"top-zero", "querylog {\n stats {\n  top 0\n }\n}"},
		{"bad-class", "querylog {\n class sometimes\n}"},
		{"bad-client", "querylog {\n clients 10.0.0/8\n}"},
		{"bad-facility", "querylog {\n output syslog\n facility local9\n}"},
		{"bad-interval", "querylog {\n stats {\n  interval 1ns\n }\n}"},
		{"bad-listen", "querylog {\n stats {\n  listen nowhere\n }\n}"},
		{"unknown", "querylog {\n verbose\n}"},
		{"mask-sample-allow", "querylog {\n mask 24 48\n sample 10\n stats {\n  listen 127.0.0.1:9154\n  allow !127.0.0.9 127.0.0.0/8 ::1 localhost\n }\n}"},
		{"bad-mask", "querylog {\n mask 33 129\n}"},
		{"bad-sample", "querylog {\n sample 0\n}"},
		{"allow-without-listen", "querylog {\n stats {\n  allow any\n }\n}"},
	} {
		testkit.Seed(f, s.name, s.text)
	}
	f.Fuzz(func(t *testing.T, input string) {
		c := caddy.NewTestController("dns", input)
		c.ServerBlockKeys = []string{"example.org.:53"}
		loggers, err := parse(c)
		if err != nil {
			testkit.CheckParseError(t, input, err)
			return
		}
		if len(loggers) > maxDirectives {
			t.Fatalf("%d directives accepted, at most %d work", len(loggers), maxDirectives)
		}
		for _, l := range loggers {
			if l.buffer < 1 || l.buffer > maxBuffer || l.top < 0 || l.top > maxTop || l.names < 0 || l.names > maxNames {
				t.Fatalf("out of bounds: buffer %d, top %d, names %d (%q)", l.buffer, l.top, l.names, input)
			}
			if l.mask.v4 < 0 || l.mask.v4 > 32 || l.mask.v6 < 0 || l.mask.v6 > 128 || l.sample > maxSample || (l.http != nil && l.http.allow == nil) {
				t.Fatalf("out of bounds: mask %+v, sample %d, allow %v (%q)", l.mask, l.sample, l.http, input)
			}
		}
	})
}

// FuzzServeDNS feeds arbitrary wire messages from arbitrary client
// addresses over UDP and TCP through two querylog directives writing files
// (bind format with response lines, and JSON, both with statistics), in
// front of a plugin that answers: no panic; what is written to the client
// is one well-formed response; every query is logged as exactly the lines
// documented, the bind lines in printable ASCII and the JSON as one valid
// object, whatever bytes the query name holds (no query forges a line).
func FuzzServeDNS(f *testing.F) {
	plain := func(name string, qtype uint16, edit ...func(*dns.Msg)) *dns.Msg { return query(name, qtype, edit...) }
	ch := plain("version.bind.", dns.TypeTXT)
	ch.Question[0].Qclass = dns.ClassCHAOS
	signed := plain("www.example.org.", dns.TypeA)
	signed.SetTsig("ops-key.", dns.HmacSHA256, 300, 0)
	cookie := plain("www.example.org.", dns.TypeA).SetEdns0(1232, true)
	cookie.IsEdns0().Option = append(cookie.IsEdns0().Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
	seeds := []struct {
		name string
		m    *dns.Msg
	}{
		{"plain", plain("www.example.org.", dns.TypeA)},
		{"hostile-name", plain("a\\010b\\\"c\\\\d\\000\\255\\(\\;.\\@\\$ x.example.org.", dns.TypeTXT)},
		{"forged-line", plain("x\\0102026-01-01T00:00:00Z\\032queries:\\032info:\\032client.example.org.", dns.TypeA)},
		{"json-breaker", plain("\\\"},{\\\"qname\\\":\\\"evil.example.org.", dns.TypeA)},
		{"root", plain(".", dns.TypeNS)},
		{"nxdomain", plain("nx.example.org.", dns.TypeA)},
		{"refused", plain("refused.example.org.", dns.TypeA)},
		{"dropped", plain("drop.example.org.", dns.TypeA)},
		{"cookie-do", cookie},
		{"chaos", ch},
		{"tsig", signed},
		{"unknown-class-type", &dns.Msg{MsgHdr: dns.MsgHdr{RecursionDesired: true}, Question: []dns.Question{{Name: "example.org.", Qtype: 65280, Qclass: 65280}}}},
		{"notify", new(dns.Msg).SetNotify("example.org.")},
		{"no-question", new(dns.Msg)},
		{"ecs-v6", plain("www.example.org.", dns.TypeAAAA, withECS(2, "2001:db8::", 56))},
		{"ecs-family-0", plain("www.example.org.", dns.TypeA, withECS(0, "", 0))},
		{"class-hs", &dns.Msg{MsgHdr: dns.MsgHdr{RecursionDesired: true}, Question: []dns.Question{{Name: "refused.example.org.", Qtype: dns.TypeTXT, Qclass: dns.ClassHESIOD}}}},
	}
	for i, s := range seeds {
		s.m.Id = uint16(0x5000 + i)
		wire, err := s.m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		testkit.Seed(f, s.name, wire, testkit.FuzzAddrs[i%len(testkit.FuzzAddrs)], i%2 == 1)
	}

	dir := f.TempDir()
	bindLog, jsonLog := filepath.Join(dir, "bind.log"), filepath.Join(dir, "json.log")
	corefile := "querylog {\n output file " + bindLog + "\n responses\n stats\n}\n" +
		"querylog {\n output file " + jsonLog + "\n format json\n stats {\n  top 2\n  names 2\n }\n}\n"
	f.Fuzz(func(t *testing.T, wire, src []byte, tcp bool) {
		r := new(dns.Msg)
		if r.Unpack(wire) != nil {
			return // the server answers FORMERR itself; no plugin sees it
		}
		os.Remove(bindLog)
		os.Remove(jsonLog)
		h := parseHandler(t, corefile, ".")
		h.Next = fuzzNext
		if err := h.startup("dns://:53"); err != nil {
			t.Fatal(err)
		}
		w := testkit.NewFuzzWriter(src, tcp)
		rc, _ := h.ServeDNS(context.Background(), w, r.Copy())
		if err := h.shutdown(); err != nil { // writes every record
			t.Fatal(err)
		}
		testkit.CheckReplies(t, r, w)

		logged := fuzzLogged(r, w, rc)
		bindLines := fuzzLines(t, bindLog)
		if want := map[bool]int{true: 2, false: 0}[logged]; len(bindLines) != want {
			t.Fatalf("%d bind lines for one query, want %d:\n%s", len(bindLines), want, strings.Join(bindLines, "\n"))
		}
		for _, l := range bindLines {
			for i := 0; i < len(l); i++ {
				if l[i] < 0x20 || l[i] > 0x7e {
					t.Fatalf("bind line holds byte %#x at %d: %q", l[i], i, l)
				}
			}
			if !strings.Contains(l, " queries: info: client @0x") && !strings.Contains(l, " responses: info: client @0x") {
				t.Fatalf("not a query or response line: %q", l)
			}
		}
		jsonLines := fuzzLines(t, jsonLog)
		if want := map[bool]int{true: 1, false: 0}[logged]; len(jsonLines) != want {
			t.Fatalf("%d JSON lines for one query, want %d:\n%s", len(jsonLines), want, strings.Join(jsonLines, "\n"))
		}
		for _, l := range jsonLines {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("JSON line does not parse: %v\n%s", err, l)
			}
			if rec["type"] != "query" || rec["qname"] == nil {
				t.Fatalf("JSON line is not a query record: %s", l)
			}
		}
	})
}

// fuzzLogged reports whether querylog logs r, as the README says: a QUERY
// with a question, of class IN or CH, or of another class when it was
// answered other than REFUSED, FORMERR or NOTIMP.
func fuzzLogged(r *dns.Msg, w *testkit.FuzzWriter, rc int) bool {
	if len(r.Question) == 0 || r.Opcode != dns.OpcodeQuery {
		return false
	}
	if c := r.Question[0].Qclass; c == dns.ClassINET || c == dns.ClassCHAOS {
		return true
	}
	if msgs := w.Msgs(); len(msgs) > 0 {
		rc = msgs[0].Rcode
	} else if plugin.ClientWrite(rc) {
		return false // no reply at all
	}
	return rc != dns.RcodeRefused && rc != dns.RcodeFormatError && rc != dns.RcodeNotImplemented
}

// fuzzNext answers as querylog's own tests' answer does (NXDOMAIN,
// REFUSED unwritten, no reply at all for some names); a message without a
// question gets the FORMERR CoreDNS writes.
var fuzzNext = test.HandlerFunc(func(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) == 0 {
		return dns.RcodeFormatError, nil // the server writes it
	}
	return answer(ctx, w, r)
})

// fuzzLines returns the lines of a log file, none when it was not created.
func fuzzLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	if len(data) == 0 {
		return nil
	}
	return strings.Split(string(data), "\n")
}
