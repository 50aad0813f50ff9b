package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	ctest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

const rfc2317Parent = `$TTL 86400
@   IN SOA ns1.isp.example. hostmaster.isp.example. 2026010101 7200 3600 1209600 600
@   IN NS  ns1.isp.example.
3   IN PTR stale.customer.example.
10  IN PTR host10.isp.example.
`

const rfc2317Child = `$TTL 3600
@ IN SOA ns1.customer.example. hostmaster.customer.example. 7 7200 3600 1209600 300
@ IN NS  ns1.customer.example.
1 IN PTR gw.customer.example.
3 IN PTR www.customer.example.
`

// rfc2317Start writes files into a temp dir, expands {dir} and {port} (a
// free port) in the Corefile and starts it in-process; it returns the
// address it listens on, for UDP and TCP.
func rfc2317Start(t *testing.T, corefile string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := fmt.Sprint(testkit.FreePort(t))
	i, err := ctest.CoreDNSServer(strings.NewReplacer("{dir}", dir, "{port}", port).Replace(corefile))
	if err != nil {
		t.Fatalf("could not start CoreDNS: %v", err)
	}
	t.Cleanup(func() { i.Stop() })
	return "127.0.0.1:" + port
}

func rfc2317Query(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	return testkit.Query(t, network, "127.0.0.2", addr, name, qtype)
}

// rfc2317Answers is the answer section as text, for compact comparisons.
func rfc2317Answers(rrs []dns.RR) []string {
	var s []string
	for _, rr := range rrs {
		s = append(s, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	return s
}

func TestRFC2317Parent(t *testing.T) {
	addr := rfc2317Start(t, `2.0.192.in-addr.arpa:{port} {
		file {dir}/parent.db
		rfc2317 {
			delegate 192.0.2.0/29 ns1.customer.example. ns2.customer.example.
		}
		transfer {
			to *
		}
	}`, map[string]string{"parent.db": rfc2317Parent})

	for _, network := range []string{"udp", "tcp"} {
		m := rfc2317Query(t, network, addr, "3.2.0.192.in-addr.arpa.", dns.TypePTR)
		got := rfc2317Answers(m.Answer)
		if !m.Authoritative || len(got) != 1 || got[0] != "3.2.0.192.in-addr.arpa. 600 IN CNAME 3.0/29.2.0.192.in-addr.arpa." || len(m.Ns) != 2 {
			t.Errorf("%s: CNAME answer expected:\n%s", network, m)
		}
		m = rfc2317Query(t, network, addr, "3.0/29.2.0.192.in-addr.arpa.", dns.TypePTR)
		if m.Authoritative || len(m.Answer) != 0 || len(m.Ns) != 2 || m.Ns[0].Header().Rrtype != dns.TypeNS {
			t.Errorf("%s: referral expected:\n%s", network, m)
		}
		m = rfc2317Query(t, network, addr, "10.2.0.192.in-addr.arpa.", dns.TypePTR)
		if got := rfc2317Answers(m.Answer); len(got) != 1 || got[0] != "10.2.0.192.in-addr.arpa. 86400 IN PTR host10.isp.example." {
			t.Errorf("%s: the file's PTR expected:\n%s", network, m)
		}
	}

	// AXFR through CoreDNS's transfer plugin.
	tr := new(dns.Transfer)
	env, err := tr.In(new(dns.Msg).SetAxfr("2.0.192.in-addr.arpa."), addr)
	if err != nil {
		t.Fatal(err)
	}
	var rrs []string
	for e := range env {
		if e.Error != nil {
			t.Fatal(e.Error)
		}
		rrs = append(rrs, rfc2317Answers(e.RR)...)
	}
	text := strings.Join(rrs, "\n")
	for _, want := range []string{"0.2.0.192.in-addr.arpa. 600 IN CNAME 0.0/29.2.0.192.in-addr.arpa.", "7.2.0.192.in-addr.arpa. 600 IN CNAME 7.0/29.2.0.192.in-addr.arpa.", "0/29.2.0.192.in-addr.arpa. 600 IN NS ns2.customer.example.", "host10.isp.example."} {
		if !strings.Contains(text, want) {
			t.Errorf("AXFR lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "stale.customer.example.") {
		t.Errorf("AXFR carries the PTR the CNAME replaces:\n%s", text)
	}
	if len(rrs) != 2+1+8+2+1 {
		t.Errorf("AXFR has %d records:\n%s", len(rrs), text)
	}
}

// TestRFC2317ChildSlashKey: CoreDNS takes a server-block key with a '/'
// label as a plain domain name, so the child zone can be keyed by its
// RFC 2317 §4 name; the /24 key lets the original names reach rfc2317.
func TestRFC2317ChildSlashKey(t *testing.T) {
	addr := rfc2317Start(t, `0/29.2.0.192.in-addr.arpa:{port} 2.0.192.in-addr.arpa:{port} {
		file {dir}/child.db 0/29.2.0.192.in-addr.arpa
		rfc2317 {
			child 192.0.2.0/29
		}
	}`, map[string]string{"child.db": rfc2317Child})

	for _, network := range []string{"udp", "tcp"} {
		m := rfc2317Query(t, network, addr, "3.2.0.192.in-addr.arpa.", dns.TypePTR)
		got := rfc2317Answers(m.Answer)
		want := []string{"3.2.0.192.in-addr.arpa. 300 IN CNAME 3.0/29.2.0.192.in-addr.arpa.", "3.0/29.2.0.192.in-addr.arpa. 3600 IN PTR www.customer.example."}
		if !m.Authoritative || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: CNAME and PTR expected:\n%s", network, m)
		}
		m = rfc2317Query(t, network, addr, "0/29.2.0.192.in-addr.arpa.", dns.TypeSOA)
		if !m.Authoritative || len(m.Answer) != 1 || m.Answer[0].Header().Rrtype != dns.TypeSOA {
			t.Errorf("%s: the child zone's SOA expected:\n%s", network, m)
		}
		m = rfc2317Query(t, network, addr, "1.0/29.2.0.192.in-addr.arpa.", dns.TypePTR)
		if got := rfc2317Answers(m.Answer); len(got) != 1 || got[0] != "1.0/29.2.0.192.in-addr.arpa. 3600 IN PTR gw.customer.example." {
			t.Errorf("%s: the child zone's PTR expected:\n%s", network, m)
		}
		// Outside the block: no authoritative answer from this server.
		m = rfc2317Query(t, network, addr, "9.2.0.192.in-addr.arpa.", dns.TypePTR)
		if m.Rcode != dns.RcodeRefused || m.Authoritative {
			t.Errorf("%s: REFUSED expected outside the child's block:\n%s", network, m)
		}
	}
}

// TestRFC2317ChildCIDRKey: a server-block key 192.0.2.0/29 is split by
// CoreDNS into one zone per address (0.2.0.192.in-addr.arpa …
// 7.2.0.192.in-addr.arpa): exactly the original names the child side
// answers, and no other name of the /24 reaches the block.
func TestRFC2317ChildCIDRKey(t *testing.T) {
	addr := rfc2317Start(t, `0-7.2.0.192.in-addr.arpa:{port} 192.0.2.0/29:{port} {
		file {dir}/child.db 0-7.2.0.192.in-addr.arpa
		rfc2317 {
			child 192.0.2.0/29
			style range
		}
	}`, map[string]string{"child.db": rfc2317Child})
	for _, o := range []string{"0", "3", "7"} {
		m := rfc2317Query(t, "udp", addr, o+".2.0.192.in-addr.arpa.", dns.TypePTR)
		if !m.Authoritative || len(m.Answer) == 0 || m.Answer[0].(*dns.CNAME).Target != o+".0-7.2.0.192.in-addr.arpa." {
			t.Errorf("%s: CNAME expected:\n%s", o, m)
		}
	}
	m := rfc2317Query(t, "udp", addr, "3.2.0.192.in-addr.arpa.", dns.TypePTR)
	if got := rfc2317Answers(m.Answer); len(got) != 2 || got[1] != "3.0-7.2.0.192.in-addr.arpa. 3600 IN PTR www.customer.example." {
		t.Errorf("CNAME and PTR expected:\n%s", m)
	}
	m = rfc2317Query(t, "udp", addr, "9.2.0.192.in-addr.arpa.", dns.TypePTR)
	if m.Rcode != dns.RcodeRefused {
		t.Errorf("REFUSED expected outside the block:\n%s", m)
	}
}

// TestRFC2317Metrics scrapes coredns_rfc2317_responses_total from the
// prometheus plugin.
func TestRFC2317Metrics(t *testing.T) {
	mport := testkit.FreePort(t)
	addr := rfc2317Start(t, fmt.Sprintf(`2.0.192.in-addr.arpa:{port} {
		prometheus 127.0.0.1:%d
		rfc2317 {
			delegate 192.0.2.0/29 ns1.customer.example.
			child 192.0.2.8/29
		}
	}`, mport), nil)
	for _, q := range []string{"1.2.0.192.in-addr.arpa.", "2.2.0.192.in-addr.arpa.", "1.0/29.2.0.192.in-addr.arpa.", "9.2.0.192.in-addr.arpa."} {
		rfc2317Query(t, "udp", addr, q, dns.TypePTR)
	}
	body := testkit.HTTPGet(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", mport))
	server := "dns://:" + strings.TrimPrefix(addr, "127.0.0.1:")
	for kind, n := range map[string]int{"cname": 2, "referral": 1, "child": 1} {
		want := fmt.Sprintf("coredns_rfc2317_responses_total{kind=%q,server=%q} %d\n", kind, server, n)
		if !strings.Contains(body, want) {
			t.Errorf("no %q in the metrics:\n%s", want, rfc2317Grep(body, "coredns_rfc2317"))
		}
	}
}

func rfc2317Grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestRFC2317StartupErrors: a bad line stops the server, naming the plugin,
// the Corefile line and the fix.
func TestRFC2317StartupErrors(t *testing.T) {
	for _, tc := range []struct{ corefile, want string }{
		{"2.0.192.in-addr.arpa:0 {\n rfc2317 {\n  delegate 192.0.2.0/24 ns1.example.net.\n }\n}", "Corefile:3 - Error during parsing: delegate 192.0.2.0/24 is a /24: delegation at an octet boundary is ordinary delegation"},
		{"example.org:0 {\n rfc2317 {\n  delegate 192.0.2.0/29 ns1.example.net.\n }\n}", "Corefile:3 - Error during parsing: delegate 192.0.2.0/29: 0.2.0.192.in-addr.arpa. is outside this server block's zones (example.org.)"},
		{"2.0.192.in-addr.arpa:0 {\n rfc2317 {\n  delegate 192.0.2.0/29 ns1.example.net.\n  delegate 192.0.2.4/30 ns1.example.net.\n }\n}", "Corefile:4 - Error during parsing: delegate 192.0.2.4/30 overlaps delegate 192.0.2.0/29 (line 3)"},
		{"2.0.192.in-addr.arpa:0 {\n rfc2317 {\n  delegate 192.0.2.0/29 ns1..example.net\n }\n}", `Corefile:3 - Error during parsing: delegate 192.0.2.0/29: name server "ns1..example.net" is not a valid domain name`},
		{"2.0.192.in-addr.arpa:0 {\n rfc2317 {\n  delegate 192.0.2.0/29 ns1.example.net\n  label 192.0.2.0/29 0;7\n }\n}", `Corefile:4 - Error during parsing: label 192.0.2.0/29: label "0;7" holds ';'`},
	} {
		_, err := ctest.CoreDNSServer(tc.corefile)
		if err == nil {
			t.Errorf("started:\n%s", tc.corefile)
			continue
		}
		if !strings.Contains(err.Error(), "plugin/rfc2317") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %q\nwant %q", err, tc.want)
		}
	}
}

// TestRFC2317README starts every Corefile of the plugin's README, in a
// directory holding test/testdata/readme, on a free port, and checks that
// the first example answers as the README says.
func TestRFC2317README(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testkit.RepoRoot(), "plugin", "rfc2317", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)~~~ corefile\n(.*?)~~~").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 3 {
		t.Fatalf("README has %d corefile examples", len(blocks))
	}
	dir := t.TempDir()
	fixtures, _ := filepath.Glob(filepath.Join(testkit.RepoRoot(), "test", "testdata", "readme", "rfc2317-*"))
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	port := fmt.Sprint(testkit.FreePort(t))
	old := dnsserver.Port
	dnsserver.Port = port
	t.Cleanup(func() { dnsserver.Port = old })
	for n, b := range blocks {
		i, err := ctest.CoreDNSServer(b[1])
		if err != nil {
			t.Errorf("example %d does not start: %v\n%s", n+1, err, b[1])
			continue
		}
		if n == 0 {
			m := rfc2317Query(t, "udp", "127.0.0.1:"+port, "3.2.0.192.in-addr.arpa.", dns.TypePTR)
			if len(m.Answer) != 1 || m.Answer[0].(*dns.CNAME).Target != "3.0/29.2.0.192.in-addr.arpa." {
				t.Errorf("example 1 does not answer the CNAME:\n%s", m)
			}
		}
		i.Stop()
	}
}
