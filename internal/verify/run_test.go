package verify

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// fakeServer answers www.example.org A with addr over UDP and TCP on
// 127.0.0.1, REFUSED for anything else, and never replies to the sources
// in drop (a blackholed client).
func fakeServer(t *testing.T, addr string, drop ...string) string {
	s, _ := countingServer(t, addr, drop...)
	return s
}

// countingServer is fakeServer that also counts the queries it gets.
func countingServer(t *testing.T, addr string, drop ...string) (string, *atomic.Int32) {
	t.Helper()
	n := new(atomic.Int32)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		n.Add(1)
		src, _, _ := net.SplitHostPort(w.RemoteAddr().String())
		for _, d := range drop {
			if src == d {
				return
			}
		}
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		switch {
		case strings.EqualFold(q.Name, "big.example.org.") && w.LocalAddr().Network() == "udp":
			m.Authoritative, m.Truncated = true, true
		case strings.EqualFold(q.Name, "big.example.org."):
			m.Authoritative = true
			rr, _ := dns.NewRR("big.example.org. 300 IN TXT " + addr)
			m.Answer = append(m.Answer, rr)
		case strings.EqualFold(q.Name, "www.example.org.") && q.Qtype == dns.TypeA:
			m.Authoritative = true
			rr, _ := dns.NewRR("www.example.org. 300 IN A " + addr)
			m.Answer = append(m.Answer, rr)
		default:
			m.Rcode = dns.RcodeRefused
		}
		w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		go s.ActivateAndServe()
		t.Cleanup(func() { s.Shutdown() })
	}
	return pc.LocalAddr().String(), n
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestRunSameAndDifferent replays a query list from several sources: the
// same servers report no difference; a server with another address for
// www reports it on one line per source and exits 1; a source both servers
// drop counts as same and is said to be so; one side silent is a
// difference.
func TestRunSameAndDifferent(t *testing.T) {
	list := filepath.Join(t.TempDir(), "q.txt")
	os.WriteFile(list, []byte("www.example.org A\nother.example.org A\n"), 0o644)
	log := filepath.Join(t.TempDir(), "q.log")
	os.WriteFile(log, []byte("client @0x1 127.0.0.9#5 (WWW.example.org): query: WWW.example.org IN A -E(0)TK (127.0.0.1)\n"), 0o644)

	a := fakeServer(t, "192.0.2.80", "127.0.0.4")
	b := fakeServer(t, "192.0.2.80", "127.0.0.4")
	c := fakeServer(t, "192.0.2.81", "127.0.0.4", "127.0.0.5")
	fast := []string{"-timeout", "200ms", "-retries", "0"}

	code, out, errs := run(append(fast, "-bind", a, "-corebind", b, "-queries", list, "-queries", log, "-from", "127.0.0.2,127.0.0.3", "-from", "127.0.0.4")...)
	want := "3 queries from 127.0.0.4 got no reply from either server: counted as same (e.g. a blackholed client, or both servers down)\n" +
		"9 queries, 9 same, 0 different\n"
	if code != 0 || out != want {
		t.Errorf("same servers: exit %d, output\n%s\nwant\n%s", code, out, want)
	}
	if !strings.Contains(errs, list+": 2 queries (name/type list)") || !strings.Contains(errs, log+": 1 query (BIND query log)") {
		t.Errorf("stderr:\n%s", errs)
	}

	code, out, _ = run(append(fast, "-bind", a, "-corebind", c, "-queries", list, "-queries", log, "-from", "127.0.0.2,127.0.0.5", "-max", "2")...)
	want = list + ":1: www.example.org. IN A +E(0) from 127.0.0.2: answer www.example.org. A: BIND: 192.0.2.80; corebind: 192.0.2.81\n" +
		list + ":1: www.example.org. IN A +E(0) from 127.0.0.5: reply: BIND: NOERROR, 1 answer, 0 authority; corebind: no reply (timeout)\n" +
		list + ":2: other.example.org. IN A +E(0) from 127.0.0.5: reply: BIND: REFUSED, 0 answer, 0 authority; corebind: no reply (timeout)\n" +
		"4 queries, 1 same, 3 different\n"
	if code != 1 || out != want {
		t.Errorf("different servers: exit %d, output\n%s\nwant\n%s", code, out, want)
	}

	// -ignore answer hides the different address; the timeouts remain.
	code, out, _ = run(append(fast, "-bind", a, "-corebind", c, "-queries", list, "-from", "127.0.0.2,127.0.0.5", "-max", "2", "-ignore", "answer,EDE")...)
	if code != 1 || strings.Contains(out, "127.0.0.2:") || !strings.HasSuffix(out, "4 queries, 2 same, 2 different\n") {
		t.Errorf("-ignore answer: exit %d\n%s", code, out)
	}

	// TCP: the logged T and -tcp.
	code, out, _ = run(append(fast, "-bind", a, "-corebind", c, "-queries", log, "-tcp")...)
	if code != 1 || !strings.Contains(out, log+":1: WWW.example.org. IN A -E(0)T: answer www.example.org. A: BIND: 192.0.2.80; corebind: 192.0.2.81\n") {
		t.Errorf("TCP: exit %d\n%s", code, out)
	}

	// Truncated over UDP on both sides: the TCP replies are compared.
	os.WriteFile(list, []byte("big.example.org TXT\n"), 0o644)
	code, out, _ = run(append(fast, "-bind", a, "-corebind", b, "-queries", list)...)
	if code != 0 || out != "1 queries, 1 same, 0 different\n" {
		t.Errorf("truncated, same: exit %d\n%s", code, out)
	}
	code, out, _ = run(append(fast, "-bind", a, "-corebind", c, "-queries", list)...)
	if want := list + ":1: big.example.org. IN TXT +E(0): answer big.example.org. TXT over TCP: BIND: \"192.0.2.80\"; corebind: \"192.0.2.81\"\n1 queries, 0 same, 1 different\n"; code != 1 || out != want {
		t.Errorf("truncated, different: exit %d\n%s\nwant\n%s", code, out, want)
	}
}

func TestRunUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.log")
	os.WriteFile(bad, []byte("www.example.org A\nwww.example.org BOGUS\n"), 0o644)
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("www.example.org A\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-corebind", "127.0.0.1:1053", "-queries", good}, "-bind ADDR:PORT is required"},
		{[]string{"-bind", "ns1.example.org:53", "-corebind", "127.0.0.1:1053", "-queries", good}, `-bind "ns1.example.org:53": want an IP address and port`},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053"}, "no queries: give -queries FILE or -zone ORIGIN=FILE"},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053", "-queries", bad}, bad + `:2: unknown type or class "BOGUS"`},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053", "-queries", filepath.Join(dir, "none")}, "no such file"},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053", "-queries", good, "-from", "::1"}, "-from ::1 cannot reach 127.0.0.1:53"},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053", "-queries", good, "-from", "192.0.2.1"}, "-from 192.0.2.1: not a local address"},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053", "-queries", good, "-from", "localhost"}, `-from "localhost": not an IP address`},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053", "-zone", "example.org"}, `-zone "example.org": want ORIGIN=FILE`},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053", "-queries", good, "extra"}, `unexpected argument "extra"`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053", "-queries", good, "-ignore", "answer,ttl"}, "-ignore ttl: not a field; the fields are rcode, aa, ra, tc, answer, authority, ede"},
	} {
		code, out, errs := run(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr\n%s\nwant %q", tc.args, code, out, errs, tc.want)
		}
	}
}

// TestRunOneSilent: a server that never answers is named on stderr.
func TestRunOneSilent(t *testing.T) {
	a := fakeServer(t, "192.0.2.80")
	b := fakeServer(t, "192.0.2.80", "127.0.0.1")
	good := filepath.Join(t.TempDir(), "good.txt")
	os.WriteFile(good, []byte("www.example.org A\n"), 0o644)
	code, out, errs := run("-bind", a, "-corebind", b, "-queries", good, "-timeout", "100ms", "-retries", "0")
	if code != 1 || !strings.HasSuffix(out, "1 queries, 0 same, 1 different\n") || !strings.Contains(errs, "verify: corebind at "+b+" answered none of the queries: is it running there?") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
}

// TestRunNobodyAnswers: two silent servers are an error, not "all same".
func TestRunNobodyAnswers(t *testing.T) {
	a, n := countingServer(t, "192.0.2.80", "127.0.0.1")
	good := filepath.Join(t.TempDir(), "good.txt")
	os.WriteFile(good, []byte("www.example.org A\n"), 0o644)
	code, _, errs := run("-bind", a, "-corebind", a, "-queries", good, "-timeout", "100ms", "-retries", "1")
	if code != 2 || !strings.Contains(errs, "neither server answered any query") {
		t.Errorf("exit %d\n%s", code, errs)
	}
	if got := n.Load(); got != 4 { // two tries for each "server"
		t.Errorf("the silent server got %d queries, want 4 (a timeout is retried once)", got)
	}
}

// TestUnique: -unique keeps the first of each query, names compared in any
// case, flags and buffer size telling queries apart; -qps paces them.
func TestUnique(t *testing.T) {
	fq, err := ReadQueries(strings.NewReader(
		"client 127.0.0.1#5 (a): query: www.example.org IN A +E(0) (127.0.0.1)\n"+
			"client 127.0.0.2#5 (a): query: WWW.example.org IN A +E(0)K (127.0.0.1)\n"+
			"client 127.0.0.1#5 (a): query: www.example.org IN A -E(0) (127.0.0.1)\n"+
			"client 127.0.0.1#5 (a): query: www.example.org IN AAAA +E(0) (127.0.0.1)\n"+
			"client 127.0.0.1#5 (a): query: www.example.org IN A +E(0)T (127.0.0.1)\n"+
			"client 127.0.0.1#5 (a): query: www.example.org IN A +E(0)T (127.0.0.1)\n"), "q.log")
	if err != nil {
		t.Fatal(err)
	}
	checkQueries(t, uniq(fq.Queries), []string{
		"q.log:1 www.example.org. IN A +E(0)",
		"q.log:3 www.example.org. IN A -E(0)",
		"q.log:4 www.example.org. IN AAAA +E(0)",
		"q.log:5 www.example.org. IN A +E(0)T",
	})

	a, n := countingServer(t, "192.0.2.80")
	list := filepath.Join(t.TempDir(), "q.txt")
	os.WriteFile(list, []byte("www.example.org A\nwww.example.org A\nWWW.example.org A\nwww.example.org MX\n"), 0o644)
	code, out, _ := run("-bind", a, "-corebind", a, "-queries", list, "-unique", "-qps", "100")
	if code != 0 || out != "2 queries, 2 same, 0 different\n" || n.Load() != 4 {
		t.Errorf("exit %d, %d queries sent, output\n%s", code, n.Load(), out)
	}
}
