package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

// stubParent is example.org as its primary serves it: SOA timers of 2s
// refresh, 1s retry and 20s expire, so a test sees refreshes and expiry;
// sub.example.org delegated to 127.0.0.13, which delegates
// deep.sub.example.org to 127.0.0.14.
func stubParent(serial int, ns ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$TTL 300\n@ IN SOA ns1 hostmaster %d 2 1 20 30\n", serial)
	for _, n := range ns {
		fmt.Fprintf(&b, "@ IN NS %s\n", n)
	}
	b.WriteString(`ns1     IN A  127.0.0.11
ns2     IN A  127.0.0.12
www     IN A  192.0.2.1
sub     IN NS ns.sub
ns.sub  IN A  127.0.0.13
`)
	return b.String()
}

const (
	stubSub = `$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 30
@        IN NS  ns
ns       IN A   127.0.0.13
www      IN A   192.0.2.2
deep     IN NS  ns.deep
ns.deep  IN A   127.0.0.14
`
	stubDeep = `$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 30
@        IN NS  ns
ns       IN A   127.0.0.14
host     IN A   192.0.2.3
`
)

var (
	stubFlagsRE  = regexp.MustCompile(`;; flags: ([a-z ]*);`)
	stubStatusRE = regexp.MustCompile(`status: ([A-Z]+)`)
)

// stubDig is one dig run, parsed.
type stubDig struct {
	out, status, flags string
}

func (d stubDig) has(s string) bool { return strings.Contains(d.out, s) }

func stubRunDig(t *testing.T, ns *testkit.Netns, args ...string) stubDig {
	t.Helper()
	out, code := testkit.Dig(t, ns, args...)
	d := stubDig{out: out}
	if code != 0 {
		return d
	}
	if m := stubStatusRE.FindStringSubmatch(out); m != nil {
		d.status = m[1]
	}
	if m := stubFlagsRE.FindStringSubmatch(out); m != nil {
		d.flags = m[1]
	}
	return d
}

// stubPoll runs dig until ok accepts its result, for up to a minute.
func stubPoll(t *testing.T, what string, dig func() stubDig, ok func(stubDig) bool) stubDig {
	t.Helper()
	var d stubDig
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if d = dig(); ok(d) {
			return d
		}
	}
	t.Fatalf("%s: not within a minute; last reply:\n%s", what, d.out)
	return d
}

// stubCopySerial is the serial in corebind's saved copy of example.org
// (0 when there is none).
func stubCopySerial(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "stubs", "example.org.stub"))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`\tSOA\t\S+ \S+ (\d+) `).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func stubWaitCopySerial(t *testing.T, dir string, serial int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if stubCopySerial(dir) == serial {
			return
		}
	}
	t.Fatalf("the saved copy never reached serial %d (has %d)", serial, stubCopySerial(dir))
}

// TestStubzonesWithBIND runs corebind with a stub zone whose primary and
// name servers are BIND 9, in a network namespace where each server has
// its address and port 53: the load, the referral shape, resolution two
// delegations down, serial bumps and NS changes after `rndc reload`, a
// stopped primary (served until expire, then SERVFAIL, then recovery), and
// a restart from the saved copy while the primary is down.
func TestStubzonesWithBIND(t *testing.T) {
	testkit.Require(t, "named", "dig", "kdig")
	ns := testkit.NewNetns(t, "127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14")
	parentConf := `zone "example.org" { type primary; file "example.org.db"; };`
	primary := testkit.StartNamed(t, testkit.NamedOptions{Netns: ns, Listen: "127.0.0.11", Conf: parentConf,
		Files: map[string]string{"example.org.db": stubParent(1, "ns1")}})
	testkit.StartNamed(t, testkit.NamedOptions{Netns: ns, Listen: "127.0.0.13",
		Conf:  `zone "sub.example.org" { type primary; file "sub.db"; };`,
		Files: map[string]string{"sub.db": stubSub}})
	testkit.StartNamed(t, testkit.NamedOptions{Netns: ns, Listen: "127.0.0.14",
		Conf:  `zone "deep.sub.example.org" { type primary; file "deep.db"; };`,
		Files: map[string]string{"deep.db": stubDeep}})

	corefile := `.:53 {
	bind 127.0.0.10
	stubzones example.org {
		primaries 127.0.0.11
		dir stubs
		refresh-min 1s
	}
}
`
	opts := testkit.CoreDNSOptions{Netns: ns, Wait: "127.0.0.10:53"}
	c := testkit.StartCoreDNS(t, corefile, opts)
	dig := func(args ...string) stubDig {
		return stubRunDig(t, ns, append([]string{"@127.0.0.10"}, args...)...)
	}
	referral := func() stubDig { return dig("+norec", "www.example.org", "A") }

	// Initial load: RD=0 gets the referral from the stub data.
	d := stubPoll(t, "initial load", referral, func(d stubDig) bool { return d.status == "NOERROR" })
	if d.flags != "qr ra" || !regexp.MustCompile(`(?m)^example\.org\.\s+300\s+IN\s+NS\s+ns1\.example\.org\.$`).MatchString(d.out) ||
		!regexp.MustCompile(`(?m)^ns1\.example\.org\.\s+300\s+IN\s+A\s+127\.0\.0\.11$`).MatchString(d.out) || !d.has("ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 2") {
		t.Errorf("referral (want flags qr ra, NS in authority, glue in additional):\n%s", d.out)
	}
	stubWaitCopySerial(t, c.Dir, 1)

	// RD=1: resolved through the zone's name servers, two delegations down.
	for _, q := range []struct{ name, addr string }{
		{"www.example.org", "192.0.2.1"}, {"www.sub.example.org", "192.0.2.2"}, {"host.deep.sub.example.org", "192.0.2.3"},
	} {
		d := dig(q.name, "A")
		if d.status != "NOERROR" || d.flags != "qr rd ra" || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(q.name)+`\.\s+300\s+IN\s+A\s+`+regexp.QuoteMeta(q.addr)+`$`).MatchString(d.out) {
			t.Errorf("dig %s (want %s, flags qr rd ra):\n%s", q.name, q.addr, d.out)
		}
	}
	if out, _ := testkit.Kdig(t, ns, "@127.0.0.10", "+tcp", "host.deep.sub.example.org", "A"); !strings.Contains(out, "192.0.2.3") || !strings.Contains(out, "NOERROR") {
		t.Errorf("kdig over TCP:\n%s", out)
	}
	if d := dig("nope.example.org", "A"); d.status != "NXDOMAIN" {
		t.Errorf("NXDOMAIN:\n%s", d.out)
	}
	if d := dig("+norec", "example.org", "AXFR"); !d.has("Transfer failed") {
		t.Errorf("AXFR of a stub zone:\n%s", d.out)
	}

	// A serial bump adding a name server, after `rndc reload`, is picked
	// up by the refresh timer.
	second := testkit.StartNamed(t, testkit.NamedOptions{Netns: ns, Listen: "127.0.0.12", Conf: parentConf,
		Files: map[string]string{"example.org.db": stubParent(2, "ns1", "ns2")}})
	primary.WriteFile("example.org.db", stubParent(2, "ns1", "ns2"))
	primary.Reload()
	stubPoll(t, "name server added", referral, func(d stubDig) bool {
		return d.has("NS\tns2.example.org.") && d.has("127.0.0.12") && d.has("NS\tns1.example.org.")
	})
	stubWaitCopySerial(t, c.Dir, 2)

	// And one removing ns1 (the primary stays the primary, hidden).
	for _, n := range []*testkit.Named{primary, second} {
		n.WriteFile("example.org.db", stubParent(3, "ns2"))
		n.Reload()
	}
	stubPoll(t, "name server removed", referral, func(d stubDig) bool {
		return d.has("NS\tns2.example.org.") && !d.has("NS\tns1.example.org.")
	})

	// The primary stops: the stub data serves until it expires (20s after
	// the last refresh), resolution goes on through ns2; then SERVFAIL.
	if err := primary.Stop(); err != nil {
		t.Logf("named stopped: %v", err)
	}
	if d := referral(); d.status != "NOERROR" {
		t.Errorf("right after the primary stopped:\n%s", d.out)
	}
	if d := dig("www.example.org", "A"); d.status != "NOERROR" || !d.has("192.0.2.1") {
		t.Errorf("resolution with the primary down:\n%s", d.out)
	}
	stubPoll(t, "expiry", referral, func(d stubDig) bool { return d.status == "SERVFAIL" })
	if d := dig("www.example.org", "A"); d.status != "SERVFAIL" {
		t.Errorf("RD=1 after expiry:\n%s", d.out)
	}

	// The primary returns: the next retry loads the zone again.
	primary.Start()
	stubPoll(t, "recovery", referral, func(d stubDig) bool { return d.status == "NOERROR" })

	// corebind restarts while the primary is down: the saved copy serves
	// at once, from the first query.
	stubWaitCopySerial(t, c.Dir, 3)
	if err := primary.Stop(); err != nil {
		t.Logf("named stopped: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("corebind exit: %v", err)
	}
	c = testkit.StartCoreDNSIn(t, c.Dir, corefile, opts)
	if d := referral(); d.status != "NOERROR" || !d.has("NS\tns2.example.org.") {
		t.Errorf("first query after the restart:\n%s\n%s", d.out, c.Output())
	}
	if d := dig("host.deep.sub.example.org", "A"); d.status != "NOERROR" || !d.has("192.0.2.3") {
		t.Errorf("resolution after the restart:\n%s", d.out)
	}
	if !strings.Contains(c.Output(), "loaded from stubs/example.org.stub") {
		t.Errorf("no load from the saved copy logged:\n%s", c.Output())
	}
}

const (
	stubKeyName = "stubkey"
	stubSecret  = "c3R1YnpvbmVzLWUyZS10c2lnLXNlY3JldC0xMjM0NTY="
)

func stubHostZone(serial int) string {
	return fmt.Sprintf(`$TTL 300
@    IN SOA ns1 hostmaster %d 3600 600 86400 30
@    IN NS  ns1
ns1  IN A   127.0.0.1
www  IN A   192.0.2.1
`, serial)
}

// TestStubzonesNotifyAndTSIG: BIND only answers queries signed with the
// key, and notifies corebind (signed) when the zone changes; the refresh
// timer is an hour, so only the NOTIFY can explain a quick pick-up. A
// NOTIFY from anyone else is refused, and a wrong secret never loads.
func TestStubzonesNotifyAndTSIG(t *testing.T) {
	testkit.Require(t, "named", "kdig")
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Conf: fmt.Sprintf(`key %[1]q { algorithm hmac-sha256; secret %[2]q; };
server 127.0.0.1 { keys { %[1]q; }; };
zone "example.org" {
	type primary;
	file "example.org.db";
	allow-query { key %[1]q; };
	notify explicit;
	also-notify { 127.0.0.1 port %[3]d; };
};`, stubKeyName, stubSecret, port),
		Files: map[string]string{"example.org.db": stubHostZone(1)},
	})
	corefile := func(secret string) string {
		return fmt.Sprintf(`.:%d {
	bind 127.0.0.1
	stubzones example.org {
		primaries %s
		port %d
		tsig %s hmac-sha256 %s
		dir stubs
	}
}
`, port, named.Addr, named.Port, stubKeyName, secret)
	}
	c := testkit.StartCoreDNS(t, corefile(stubSecret), testkit.CoreDNSOptions{Wait: addr})
	stubWaitCopySerial(t, c.Dir, 1) // signed refresh: BIND refuses unsigned queries

	named.WriteFile("example.org.db", stubHostZone(2))
	named.Reload()
	stubWaitCopySerial(t, c.Dir, 2)
	if !c.WaitOutput("NOTIFY from 127.0.0.1; refreshing", 10*time.Second) {
		t.Errorf("no NOTIFY logged:\n%s", c.Output())
	}

	// A NOTIFY from another address is refused.
	out, _ := testkit.Kdig(t, nil, "-b", "127.0.0.7", "@127.0.0.1", "-p", strconv.Itoa(port), "example.org", "NOTIFY")
	if !strings.Contains(out, "REFUSED") {
		t.Errorf("NOTIFY from 127.0.0.7:\n%s", out)
	}
	if !c.WaitOutput("refused NOTIFY from 127.0.0.7", 10*time.Second) {
		t.Errorf("refused NOTIFY not logged:\n%s", c.Output())
	}
	if err := c.Stop(); err != nil {
		t.Errorf("corebind exit: %v", err)
	}

	// The wrong secret: BIND rejects the refresh, nothing loads.
	port = testkit.FreePort(t)
	addr = testkit.HostPort("127.0.0.1", port)
	c = testkit.StartCoreDNS(t, corefile("d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZw=="), testkit.CoreDNSOptions{Wait: addr})
	if !c.WaitOutput("refresh failed, no data yet", 20*time.Second) {
		t.Errorf("refresh with a wrong key did not fail:\n%s", c.Output())
	}
	if stubCopySerial(c.Dir) != 0 {
		t.Error("a copy was saved with the wrong key")
	}
}

// stubLiar stands between corebind and BIND and changes BIND's replies as
// its mode says: a lying or broken primary built on real data.
type stubLiar struct {
	upstream string
	addr     string

	mu    sync.Mutex
	mode  string
	soas  map[string]int // SOA queries seen per mode
	extra []dns.RR       // "glue" mode: added to the additional section
}

func startStubLiar(t *testing.T, upstream string) *stubLiar {
	t.Helper()
	l := &stubLiar{upstream: upstream, mode: "honest", soas: map[string]int{}}
	l.addr = testkit.HostPort("127.0.0.1", testkit.ServeDNS(t, "127.0.0.1", 0, l, nil))
	return l
}

func (l *stubLiar) set(mode string) {
	l.mu.Lock()
	l.mode = mode
	l.mu.Unlock()
}

func (l *stubLiar) soaQueries(mode string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.soas[mode]
}

func (l *stubLiar) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	l.mu.Lock()
	mode := l.mode
	if r.Question[0].Qtype == dns.TypeSOA {
		l.soas[mode]++
	}
	l.mu.Unlock()
	tcp := w.RemoteAddr().Network() == "tcp"
	switch {
	case mode == "silent":
		return
	case mode == "truncated" && tcp:
		w.Close()
		return
	case mode == "truncated":
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative, m.Truncated = true, true
		w.WriteMsg(m)
		return
	}
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	if tcp {
		c.Net = "tcp"
	}
	m, _, err := c.Exchange(r, l.upstream)
	if err != nil {
		return
	}
	switch mode {
	case "non-AA":
		m.Authoritative = false
	case "CNAME at the apex":
		m.Answer = []dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: "elsewhere.test."}}
	case "out-of-zone glue":
		if r.Question[0].Qtype == dns.TypeNS {
			for _, s := range []string{"ns.outside.test. 300 IN A 203.0.113.66", "ns1.example.org.evil.test. 300 IN A 203.0.113.67"} {
				rr, _ := dns.NewRR(s)
				m.Extra = append(m.Extra, rr)
			}
		}
	}
	w.WriteMsg(m)
}

// TestStubzonesLyingPrimary: replies that are not authoritative, carry a
// CNAME at the apex, are truncated with TCP broken, or never come are
// rejected and the data in use is kept; out-of-zone glue never becomes
// glue.
func TestStubzonesLyingPrimary(t *testing.T) {
	testkit.Require(t, "named", "dig")
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Conf:  `zone "example.org" { type primary; file "example.org.db"; };`,
		Files: map[string]string{"example.org.db": strings.Replace(stubHostZone(1), "3600 600 86400", "2 1 600", 1)},
	})
	liar := startStubLiar(t, named.Addr)
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1
	stubzones example.org {
		primaries %s
		port %d
		dir stubs
		refresh-min 1s
	}
}
`, port, liar.addr, named.Port), testkit.CoreDNSOptions{Wait: addr})
	stubWaitCopySerial(t, c.Dir, 1)
	referral := func() stubDig {
		return stubRunDig(t, nil, "@127.0.0.1", "-p", strconv.Itoa(port), "+norec", "www.example.org", "A")
	}

	// Serial 2 brings a name server outside the zone.
	named.WriteFile("example.org.db", strings.Replace(strings.Replace(stubHostZone(2), "3600 600 86400", "2 1 600", 1),
		"@    IN NS  ns1\n", "@    IN NS  ns1\n@    IN NS  ns.outside.test.\n", 1))
	named.Reload()
	for _, mode := range []string{"non-AA", "CNAME at the apex", "truncated", "silent"} {
		liar.set(mode)
		for deadline := time.Now().Add(time.Minute); liar.soaQueries(mode) < 2; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: corebind did not retry within a minute", mode)
			}
		}
		if got := stubCopySerial(c.Dir); got != 1 {
			t.Errorf("%s: the saved copy has serial %d, want 1 kept", mode, got)
		}
		if d := referral(); d.status != "NOERROR" || d.has("ns.outside.test") {
			t.Errorf("%s: the referral changed:\n%s", mode, d.out)
		}
	}

	liar.set("out-of-zone glue")
	stubWaitCopySerial(t, c.Dir, 2)
	d := referral()
	if !d.has("NS\tns.outside.test.") || d.has("203.0.113.") {
		t.Errorf("with out-of-zone glue offered (want the NS by name, no such glue):\n%s", d.out)
	}
	if !strings.Contains(c.Output(), "answer is not authoritative") || !strings.Contains(c.Output(), "CNAME in the answer") {
		t.Errorf("the rejections are not logged:\n%s", c.Output())
	}
}

// TestStubzonesRecursionACL: with recursionacl in the chain, dig from an
// allowed client resolves through the stub zone; a denied one is refused
// and BIND never hears of its query.
func TestStubzonesRecursionACL(t *testing.T) {
	testkit.Require(t, "named", "dig")
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Options: "querylog yes;",
		Conf:    `zone "example.org" { type primary; file "example.org.db"; };`,
		Files:   map[string]string{"example.org.db": stubHostZone(1)},
	})
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1
	recursionacl {
		allow 127.0.0.2
	}
	cache
	stubzones example.org {
		primaries %s
		port %d
	}
}
`, port, named.Addr, named.Port), testkit.CoreDNSOptions{Wait: addr})
	p := strconv.Itoa(port)
	allowed := stubPoll(t, "allowed client", func() stubDig {
		return stubRunDig(t, nil, "-b", "127.0.0.2", "@127.0.0.1", "-p", p, "www.example.org", "A")
	}, func(d stubDig) bool { return d.status == "NOERROR" })
	if !allowed.has("192.0.2.1") || allowed.flags != "qr rd ra" {
		t.Errorf("allowed client:\n%s", allowed.out)
	}

	before := strings.Count(named.Output(), "query: ")
	for _, args := range [][]string{{"other.example.org", "A"}, {"+norec", "other.example.org", "A"}, {"+tcp", "other.example.org", "TXT"}} {
		d := stubRunDig(t, nil, append([]string{"-b", "127.0.0.3", "@127.0.0.1", "-p", p}, args...)...)
		if d.status != "REFUSED" || strings.Contains(d.flags, "ra") {
			t.Errorf("denied client %v:\n%s", args, d.out)
		}
	}
	if after := strings.Count(named.Output(), "query: "); after != before {
		t.Errorf("denied clients' queries reached BIND (%d queries):\n%s\n%s", after-before, named.Output(), c.Output())
	}
}

// TestStubzonesIPv6: a primary and a name server reached over IPv6 only.
func TestStubzonesIPv6(t *testing.T) {
	testkit.Require(t, "named", "dig")
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Listen6: "::1",
		Conf:    `zone "example.org" { type primary; file "example.org.db"; };`,
		Files: map[string]string{"example.org.db": `$TTL 300
@    IN SOA ns1 hostmaster 1 3600 600 86400 30
@    IN NS  ns1
ns1  IN AAAA ::1
www  IN A   192.0.2.1
`},
	})
	port := testkit.FreePort(t)
	c := testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1
	stubzones example.org {
		primaries [::1]:%d
		port %d
	}
}
`, port, named.Port, named.Port), testkit.CoreDNSOptions{Wait: testkit.HostPort("127.0.0.1", port)})
	p := strconv.Itoa(port)
	d := stubPoll(t, "load over IPv6", func() stubDig {
		return stubRunDig(t, nil, "@127.0.0.1", "-p", p, "+norec", "www.example.org", "A")
	}, func(d stubDig) bool { return d.status == "NOERROR" })
	if !regexp.MustCompile(`(?m)^ns1\.example\.org\.\s+300\s+IN\s+AAAA\s+::1$`).MatchString(d.out) {
		t.Errorf("referral without the AAAA glue:\n%s", d.out)
	}
	if d := stubRunDig(t, nil, "@127.0.0.1", "-p", p, "www.example.org", "A"); d.status != "NOERROR" || !d.has("192.0.2.1") {
		t.Errorf("resolution over IPv6:\n%s\n%s", d.out, c.Output())
	}
}

// TestStubzonesStartupErrors: a bad stubzones block stops the binary at
// startup with the plugin, the Corefile line and what to fix.
func TestStubzonesStartupErrors(t *testing.T) {
	for _, tc := range []struct{ name, block, want string }{
		{"unwritable dir", "primaries 127.0.0.1\n\t\tdir notadir/stubs", `dir "notadir/stubs"`},
		{"no primaries", "dir stubs", "no primaries: add `primaries ADDRESS...`"},
		{"primary by name", "primaries ns1.example.org", `"ns1.example.org" is not an IP address`},
		{"unknown property", "primaries 127.0.0.1\n\t\tmasters 127.0.0.1", `unknown property "masters"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := testkit.FreePort(t)
			c := testkit.StartCoreDNS(t, fmt.Sprintf(".:%d {\n\tstubzones example.org {\n\t\t%s\n\t}\n}\n", port, tc.block),
				testkit.CoreDNSOptions{Files: map[string]string{"notadir": "a file, not a directory\n"}})
			if err := c.Wait(30 * time.Second); err == nil {
				t.Fatalf("started:\n%s", c.Output())
			}
			out := c.Output()
			if !strings.Contains(out, "plugin/stubzones: ") || !regexp.MustCompile(`Corefile:\d+ - Error during parsing`).MatchString(out) || !strings.Contains(out, tc.want) {
				t.Errorf("want the plugin, the Corefile line and %q:\n%s", tc.want, out)
			}
		})
	}
}
