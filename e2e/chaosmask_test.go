package e2e

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
)

// chaosmaskNamed starts BIND 9 as the upstream: an example.org zone, its
// own version string (BIND's default) and a server-id it hands out as
// id.server and as NSID. querylog shows which queries reach it.
//
// BIND's built-in CH view (_bind) answers 3 responses a second and drops the
// rest; these tests ask more often than that, so the same built-in answers
// are served from a view of their own without the rate limit.
func chaosmaskNamed(t *testing.T) *testkit.Named {
	t.Helper()
	return testkit.StartNamed(t, testkit.NamedOptions{
		Options: `server-id "bind-secret-id"; querylog yes;`,
		Conf: `view "in" in {
	zone "example.org" { type primary; file "example.org.db"; };
};
view "ch" chaos {
	zone "version.bind" chaos { type primary; database "_builtin version"; };
	zone "hostname.bind" chaos { type primary; database "_builtin hostname"; };
	zone "authors.bind" chaos { type primary; database "_builtin authors"; };
	zone "id.server" chaos { type primary; database "_builtin id"; };
};`,
		Files: map[string]string{"example.org.db": testkit.Zone(`ns1 IN A 127.0.0.1
www IN A 192.0.2.80
`)},
	})
}

// cmDigCH asks addr for a CH TXT name from the source address from and
// returns the TXT strings (dig +short) and dig's status line.
func cmDigCH(t *testing.T, from, addr, name string) (txt, status string) {
	t.Helper()
	host, port := cmSplitHostPort(t, addr)
	out, code := testkit.Dig(t, nil, "@"+host, "-p", port, "-b", from, "CH", "TXT", name)
	if code != 0 {
		t.Fatalf("dig CH TXT %s from %s: exit %d\n%s", name, from, code, out)
	}
	return cmAnswerTXT(out), cmStatus(out)
}

// cmDigNSID asks addr for www.example.org with +nsid from the source address
// from and returns the NSID dig printed ("" for none).
func cmDigNSID(t *testing.T, from, addr string) string {
	t.Helper()
	host, port := cmSplitHostPort(t, addr)
	out, code := testkit.Dig(t, nil, "@"+host, "-p", port, "-b", from, "+nsid", "www.example.org", "A")
	if code != 0 || !strings.Contains(out, "192.0.2.80") {
		t.Fatalf("dig +nsid from %s: exit %d, no answer\n%s", from, code, out)
	}
	if m := regexp.MustCompile(`; NSID: .*\("(.*)"\)`).FindStringSubmatch(out); m != nil {
		return m[1]
	}
	if strings.Contains(out, "NSID") {
		return "(unparsed NSID)"
	}
	return ""
}

func cmSplitHostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		t.Fatalf("bad address %q", addr)
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}

// cmAnswerTXT returns the TXT strings of the answer section of dig's output.
func cmAnswerTXT(out string) string {
	var txt []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 5 && !strings.HasPrefix(line, ";") && f[3] == "TXT" {
			txt = append(txt, strings.Join(f[4:], " "))
		}
	}
	return strings.Join(txt, "\n")
}

func cmStatus(out string) string {
	if m := regexp.MustCompile(`status: (\w+)`).FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// cmCHQueriesAt counts the CH-class queries named has logged.
func cmCHQueriesAt(n *testkit.Named) int {
	return len(regexp.MustCompile(`query: \S+ CH `).FindAllString(n.Output(), -1))
}

// TestChaosmaskLeakWithoutIt documents why chaosmask exists: a CoreDNS that
// only forwards hands out its upstream's version string, id.server and NSID.
func TestChaosmaskLeakWithoutIt(t *testing.T) {
	named := chaosmaskNamed(t)
	bindVersion, status := cmDigCH(t, "127.0.0.2", named.Addr, "version.bind")
	if status != "NOERROR" || !strings.Contains(bindVersion, "9.") {
		t.Fatalf("BIND's own version.bind: %s %q", status, bindVersion)
	}
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	testkit.StartCoreDNS(t, fmt.Sprintf(".:%d {\n    forward . %s\n}\n", port, named.Addr), testkit.CoreDNSOptions{Wait: addr})

	// The leak this test documents: BIND's own answers.
	cmSeesBIND(t, "forward-only CoreDNS", "127.0.0.2", addr, bindVersion)
}

// TestChaosmaskForwardingToBIND: the same forwarder with chaosmask. No CH
// query of an unrevealed client reaches BIND; the revealed one's do.
func TestChaosmaskForwardingToBIND(t *testing.T) {
	named := chaosmaskNamed(t)
	bindVersion, _ := cmDigCH(t, "127.0.0.2", named.Addr, "version.bind")
	port, mport := testkit.FreePort(t), testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	corefile := func(version string) string {
		return fmt.Sprintf(`.:%d {
    chaosmask {
        version %q
        hostname none
        id refuse
        reveal 127.0.0.5
    }
    prometheus 127.0.0.1:%d
    forward . %s
}
`, port, version, mport, named.Addr)
	}
	c := testkit.StartCoreDNS(t, corefile("none of your business"), testkit.CoreDNSOptions{Wait: addr})
	before := cmCHQueriesAt(named)
	metricsBefore := cmScrape(t, mport)

	for _, tc := range []struct {
		name, txt, status string
	}{
		{"version.bind", `"none of your business"`, "NOERROR"},
		{"VERSION.server", `"none of your business"`, "NOERROR"},
		{"hostname.bind", "", "NOERROR"},
		{"id.server", "", "REFUSED"},
		{"authors.bind", "", "NOERROR"},
		{"www.example.org", "", "REFUSED"},
	} {
		if txt, status := cmDigCH(t, "127.0.0.2", addr, tc.name); txt != tc.txt || status != tc.status {
			t.Errorf("CH TXT %s: %s %q, want %s %q", tc.name, status, txt, tc.status, tc.txt)
		}
	}
	if got := cmDigNSID(t, "127.0.0.2", addr); got != "" {
		t.Errorf("unrevealed client got NSID %q", got)
	}
	if n := cmCHQueriesAt(named) - before; n != 0 {
		t.Errorf("%d CH queries of an unrevealed client reached BIND:\n%s", n, named.Output())
	}

	// The revealed client sees BIND's real answers, through forward.
	cmSeesBIND(t, "revealed client", "127.0.0.5", addr, bindVersion)
	// named's log is read in the background: wait for the revealed client's
	// two queries to show, then check that nothing else did.
	for deadline := time.Now().Add(10 * time.Second); cmCHQueriesAt(named)-before < 2 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if n := cmCHQueriesAt(named) - before; n != 2 {
		t.Errorf("%d CH queries reached BIND, want the revealed client's 2:\n%s", n, named.Output())
	}

	// testkit's readiness probe asked version.bind too: compare with what
	// was counted before the queries above.
	after := cmScrape(t, mport)
	for _, want := range []struct{ name, action string }{
		{"version.bind", "text"},
		{"version.server", "text"},
		{"hostname.bind", "none"},
		{"id.server", "refuse"},
		{"authors.bind", "none"},
		{"other", "refuse"},
		{"version.bind", "revealed"},
		{"id.server", "revealed"},
	} {
		series := fmt.Sprintf(`coredns_chaosmask_queries_total{action=%q,name=%q,server="dns://:%d"}`, want.action, want.name, port)
		if got := cmMetricValue(after, series) - cmMetricValue(metricsBefore, series); got != 1 {
			t.Errorf("%s grew by %v, want 1", series, got)
		}
	}

	// A reload swaps the text.
	testkit.WriteFile(t, c.Corefile, corefile("reloaded"))
	c.Reload()
	deadline := time.Now().Add(30 * time.Second)
	for {
		txt, _ := cmDigCH(t, "127.0.0.2", addr, "version.bind")
		if txt == `"reloaded"` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("version.bind still %q 30s after a reload\n%s", txt, c.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cmSeesBIND checks that a CH query from the client from to addr gets the
// answers of the BIND upstream (chaosmaskNamed): its version.bind
// (bindVersion, as BIND answers it directly), id.server and NSID.
func cmSeesBIND(t *testing.T, who, from, addr, bindVersion string) {
	t.Helper()
	if got, _ := cmDigCH(t, from, addr, "version.bind"); got != bindVersion {
		t.Errorf("%s: version.bind %q, want BIND's %q", who, got, bindVersion)
	}
	if got, _ := cmDigCH(t, from, addr, "id.server"); got != `"bind-secret-id"` {
		t.Errorf("%s: id.server %q, want BIND's", who, got)
	}
	if got := cmDigNSID(t, from, addr); got != "bind-secret-id" {
		t.Errorf("%s: NSID %q, want BIND's", who, got)
	}
}

func cmScrape(t *testing.T, port int) string {
	t.Helper()
	return testkit.HTTPGet(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
}

// cmMetricValue returns the value of series in a Prometheus text exposition,
// 0 when absent.
func cmMetricValue(exposition, series string) float64 {
	for _, line := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

// TestChaosmaskNSIDPlugin: with the nsid plugin after chaosmask, only the
// revealed client sees its identifier.
func TestChaosmaskNSIDPlugin(t *testing.T) {
	named := chaosmaskNamed(t)
	port := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
    chaosmask {
        reveal 127.0.0.5
    }
    nsid corebind-ns1
    forward . %s
}
`, port, named.Addr), testkit.CoreDNSOptions{Wait: addr})
	for from, want := range map[string]string{"127.0.0.2": "", "127.0.0.3": "", "127.0.0.5": "corebind-ns1"} {
		if got := cmDigNSID(t, from, addr); got != want {
			t.Errorf("dig +nsid from %s: NSID %q, want %q", from, got, want)
		}
	}
	// The same with kdig, over TCP.
	out, code := testkit.Kdig(t, nil, "@127.0.0.1", "-p", fmt.Sprint(port), "-b", "127.0.0.2", "+tcp", "+nsid", "www.example.org", "A")
	if code != 0 || !strings.Contains(out, "192.0.2.80") || strings.Contains(out, "NSID") {
		t.Errorf("kdig +tcp +nsid: exit %d, want the answer without NSID:\n%s", code, out)
	}
}

// TestChaosmaskNmap runs nmap's version detection and its dns-nsid script
// (NSID, id.server, version.bind) against plain BIND (which nmap names,
// version and all), against a forward-only CoreDNS (which relays BIND's
// answers) and against corebind with chaosmask, which must give nothing away.
func TestChaosmaskNmap(t *testing.T) {
	testkit.Require(t, "nmap")
	named := chaosmaskNamed(t)
	bindVersion, _ := cmDigCH(t, "127.0.0.2", named.Addr, "version.bind")
	bindVersion = strings.Trim(bindVersion, `"`)

	plainPort, maskedPort := testkit.FreePort(t), testkit.FreePort(t)
	testkit.StartCoreDNS(t, fmt.Sprintf(".:%d {\n    forward . %s\n}\n.:%d {\n    chaosmask\n    forward . %s\n}\n",
		plainPort, named.Addr, maskedPort, named.Addr),
		testkit.CoreDNSOptions{Wait: testkit.HostPort("127.0.0.1", maskedPort)})

	var wg sync.WaitGroup
	reports := map[string]string{}
	var mu sync.Mutex
	for name, port := range map[string]int{"bind": named.Port, "forward": plainPort, "chaosmask": maskedPort} {
		wg.Go(func() {
			r := cmNmapReport(t, port)
			mu.Lock()
			reports[name] = r
			mu.Unlock()
		})
	}
	wg.Wait()

	// The test can fail: nmap does find BIND's version where it is exposed.
	if !strings.Contains(reports["bind"], "ISC BIND") || !strings.Contains(reports["bind"], cmVersionNumber(bindVersion)) {
		t.Errorf("nmap did not identify plain BIND %q:\n%s", bindVersion, reports["bind"])
	}
	for _, leak := range []string{bindVersion, "id.server: bind-secret-id", "NSID: bind-secret-id"} {
		if !strings.Contains(reports["forward"], leak) {
			t.Errorf("nmap's report on the forward-only CoreDNS lacks BIND's %q:\n%s", leak, reports["forward"])
		}
	}

	r := reports["chaosmask"]
	for _, leak := range []string{bindVersion, cmVersionNumber(bindVersion), "BIND", "CoreDNS", "corebind",
		"bind-secret-id", "NSID", "id.server:", "bind.version:"} {
		if strings.Contains(r, leak) {
			t.Errorf("nmap's report on chaosmask contains %q:\n%s", leak, r)
		}
	}
	m := regexp.MustCompile(fmt.Sprintf(`(?m)^%d/udp\s+open\s+domain\s*(.*)$`, maskedPort)).FindStringSubmatch(r)
	if m == nil {
		t.Fatalf("nmap did not report the port as open domain:\n%s", r)
	}
	if v := m[1]; v != "" && !strings.HasPrefix(v, "(generic dns response") {
		t.Errorf("nmap reports a product for chaosmask: %q", v)
	}
}

// cmNmapReport runs nmap -sU -sV --script dns-nsid against 127.0.0.1:port and returns its
// report with the service fingerprint unwrapped and unescaped, so a version
// string in it is found whole.
func cmNmapReport(t *testing.T, port int) string {
	out, err := exec.Command("nmap", "-sU", "-sV", "--script", "dns-nsid", "-Pn", "-n", "-p", fmt.Sprint(port), "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Errorf("nmap: %v\n%s", err, out)
	}
	s := strings.ReplaceAll(string(out), "\nSF:", "")
	return strings.ReplaceAll(s, `\.`, ".")
}

// cmVersionNumber is the leading dotted number of a version string:
// 9.18.49 of 9.18.49-1~deb12u3-Debian.
func cmVersionNumber(v string) string {
	return regexp.MustCompile(`^\d+(\.\d+)*`).FindString(v)
}
