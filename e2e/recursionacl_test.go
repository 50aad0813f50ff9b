package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
)

// The zone corebind serves itself; alias leads to a name only BIND serves.
var raclExampleOrg = testkit.Zone(`ns1     IN A   127.0.0.1
www     IN A   192.0.2.80
alias   IN CNAME www.outside.test.
`)

// The zone BIND serves as corebind's upstream: everything "out there".
var raclOutsideTest = testkit.Zone(`ns1     IN A   127.0.0.1
*       IN A   198.51.100.7
big     IN TXT "0123456789012345678901234567890123456789012345678901234567890123456789"
big     IN TXT "1123456789012345678901234567890123456789012345678901234567890123456789"
big     IN TXT "2123456789012345678901234567890123456789012345678901234567890123456789"
big     IN TXT "3123456789012345678901234567890123456789012345678901234567890123456789"
`)

// raclSetup starts BIND 9 as the upstream (logging every query it gets)
// and corebind with recursionacl in front of cache, file and forward.
func raclSetup(t *testing.T, allow string) (*testkit.Named, *testkit.CoreDNS, string, int) {
	t.Helper()
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Options: "querylog yes;",
		Conf:    `zone "outside.test" { type primary; file "outside.test.db"; };`,
		Files:   map[string]string{"outside.test.db": raclOutsideTest},
	})
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	c := testkit.StartCoreDNS(t, raclCorefile(port, allow, named.Addr), testkit.CoreDNSOptions{
		Wait:  addr,
		Files: map[string]string{"db.example.org": raclExampleOrg},
	})
	return named, c, addr, port
}

func raclCorefile(port int, allow, upstream string) string {
	return fmt.Sprintf(`.:%d {
	recursionacl {
		allow %s
		log file security.log
		log-rate 100 100
	}
	cache
	file db.example.org example.org
	forward . %s
}
`, port, allow, upstream)
}

// namedQueries is the number of queries BIND has logged.
func namedQueries(n *testkit.Named) int { return strings.Count(n.Output(), "query: ") }

// TestRecursionACLWithBIND checks, with dig and kdig as clients and BIND as
// the upstream: an allowed client recurses; a denied one gets authoritative
// data without RA, REFUSED with EDE 18 for the rest, over UDP and TCP,
// never anything cached from or sent to BIND; the refusal is no amplifier;
// fail2ban's stock filter bans the denied client from the denial log.
func TestRecursionACLWithBIND(t *testing.T) {
	testkit.Require(t, "dig", "kdig", "fail2ban-regex")
	named, c, _, port := raclSetup(t, "127.0.0.2 ::1")
	p := strconv.Itoa(port)
	dig := func(from string, args ...string) string {
		t.Helper()
		out, code := testkit.Dig(t, nil, append([]string{"-b", from, "@127.0.0.1", "-p", p}, args...)...)
		if code != 0 {
			t.Fatalf("dig %v: exit %d\n%s", args, code, out)
		}
		return out
	}
	flags := func(out string) string {
		m := regexp.MustCompile(`;; flags: ([a-z ]*);`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no flags in\n%s", out)
		}
		return m[1]
	}

	// Allowed: recursion through BIND, RA set; the cache is warmed with
	// the CNAME chase and the big TXT set.
	out := dig("127.0.0.2", "alias.example.org", "A")
	if !strings.Contains(out, "status: NOERROR") || !strings.Contains(flags(out), "ra") || !strings.Contains(out, "198.51.100.7") {
		t.Fatalf("allowed client:\n%s", out)
	}
	dig("127.0.0.2", "big.outside.test", "TXT")
	warm := namedQueries(named)
	if warm == 0 {
		t.Fatal("BIND logged no query from the allowed client")
	}

	// Denied, authoritative: the answer, AA, no RA; the CNAME alone.
	out = dig("127.0.0.3", "www.example.org", "A")
	if !strings.Contains(out, "status: NOERROR") || flags(out) != "qr aa rd" || !strings.Contains(out, "192.0.2.80") {
		t.Errorf("denied client, authoritative data:\n%s", out)
	}
	out = dig("127.0.0.3", "alias.example.org", "A")
	if !strings.Contains(out, "ANSWER: 1,") || !strings.Contains(out, "CNAME\twww.outside.test.") || strings.Contains(out, "198.51.100.7") {
		t.Errorf("denied client got more than the CNAME:\n%s", out)
	}

	// Denied, recursive, cached or not, UDP and TCP, RD on and off, EDNS
	// on and off: REFUSED, no RA, no records, EDE 18 with EDNS only.
	for _, args := range [][]string{
		{"big.outside.test", "TXT"},
		{"big.outside.test", "TXT", "+tcp"},
		{"big.outside.test", "TXT", "+norec"},
		{"new.outside.test", "A", "+noedns"},
		{"new.outside.test", "A", "+tcp", "+noedns", "+norec"},
	} {
		out = dig("127.0.0.3", append(args, "+qr")...)
		reply := out[strings.LastIndex(out, "->>HEADER<<-"):]
		edns := !strings.Contains(strings.Join(args, " "), "noedns")
		if !strings.Contains(reply, "status: REFUSED") || strings.Contains(flags(reply), "ra") || !strings.Contains(reply, "ANSWER: 0, AUTHORITY: 0") {
			t.Errorf("denied client, %v:\n%s", args, out)
		}
		if strings.Contains(reply, "EDE: 18 (Prohibited)") != edns {
			t.Errorf("denied client, %v: EDE 18 present = %v, want %v:\n%s", args, !edns, edns, out)
		}
		sizes := regexp.MustCompile(`;; QUERY SIZE: (\d+)[\s\S]*MSG SIZE  rcvd: (\d+)`).FindStringSubmatch(out)
		if sizes == nil {
			t.Fatalf("no sizes in\n%s", out)
		}
		q, _ := strconv.Atoi(sizes[1])
		a, _ := strconv.Atoi(sizes[2])
		if float64(a) > 1.2*float64(q) {
			t.Errorf("denied client, %v: %d bytes for a %d-byte query", args, a, q)
		}
	}
	out, code := testkit.Kdig(t, nil, "-b", "127.0.0.3", "@127.0.0.1", "-p", p, "+tcp", "+edns", "www.outside.test", "A")
	if code != 0 || !strings.Contains(out, "status: REFUSED") || !strings.Contains(out, "EDE: 18 (Prohibited)") {
		t.Errorf("kdig over TCP from the denied client (exit %d):\n%s", code, out)
	}
	// IPv6 loopback is listed.
	out = dig("::1", "@::1", "v6.outside.test", "A")
	if !strings.Contains(out, "status: NOERROR") || !strings.Contains(flags(out), "ra") {
		t.Errorf("allowed ::1:\n%s", out)
	}
	if n := namedQueries(named) - warm; n != 1 { // the ::1 query only
		t.Errorf("BIND got %d queries after the warm-up, want 1 (the allowed ::1 client's)", n)
	}

	// The denial log: one line per denial, the stock fail2ban filter finds
	// the denied client in each.
	path := filepath.Join(c.Dir, "security.log")
	var ips []string
	for deadline := time.Now().Add(20 * time.Second); len(ips) < 7; time.Sleep(100 * time.Millisecond) {
		out, err := exec.Command("fail2ban-regex", "-o", "ip", path, "/etc/fail2ban/filter.d/named-refused.conf").CombinedOutput()
		if err != nil {
			t.Fatalf("fail2ban-regex: %v\n%s", err, out)
		}
		ips = strings.Fields(string(out))
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(path)
			t.Fatalf("fail2ban found %v, want 127.0.0.3 seven times (alias chase, 5 dig, 1 kdig); log:\n%s", ips, log)
		}
	}
	for _, ip := range ips {
		if ip != "127.0.0.3" {
			t.Errorf("fail2ban found %s in the denial log", ip)
		}
	}
	if err := c.Stop(); err != nil {
		t.Errorf("coredns exit: %v\n%s", err, c.Output())
	}
}

// TestRecursionACLReload: SIGUSR1 with a new allow line applies it, the new
// instance takes the denial log over and the old one lets go of it.
func TestRecursionACLReload(t *testing.T) {
	testkit.Require(t, "dig")
	named, c, _, port := raclSetup(t, "127.0.0.2")
	p := strconv.Itoa(port)
	status := func(from string) string {
		out, _ := testkit.Dig(t, nil, "-b", from, "@127.0.0.1", "-p", p, fmt.Sprintf("r%d.outside.test", time.Now().UnixNano()), "A")
		m := regexp.MustCompile(`status: ([A-Z]+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no reply:\n%s", out)
		}
		return m[1]
	}
	if status("127.0.0.2") != "NOERROR" || status("127.0.0.4") != "REFUSED" {
		t.Fatal("initial allow list not in force")
	}
	for i := range 5 {
		allow := "127.0.0.2"
		if i%2 == 0 {
			allow = "127.0.0.4"
		}
		testkit.WriteFile(t, c.Corefile, raclCorefile(port, allow, named.Addr))
		c.Reload()
		other := map[string]string{"127.0.0.2": "127.0.0.4", "127.0.0.4": "127.0.0.2"}[allow]
		for deadline := time.Now().Add(20 * time.Second); status(allow) != "NOERROR" || status(other) != "REFUSED"; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("reload %d: allow %s not in force\n%s", i+1, allow, c.Output())
			}
		}
	}
	// Exactly one open descriptor on the log file: every old instance
	// closed its own.
	log := filepath.Join(c.Dir, "security.log")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n := openCount(t, c.Pid(), log)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors open on %s after 5 reloads, want 1", n, log)
		}
	}
	if err := c.Stop(); err != nil {
		t.Errorf("coredns exit: %v\n%s", err, c.Output())
	}
}

// openCount is the number of file descriptors of pid open on path.
func openCount(t *testing.T, pid int, path string) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}
