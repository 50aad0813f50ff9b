package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// TestQuerylogPage: the statistics page of a server that answered real
// queries from several loopback addresses, rendered by a headless Chromium
// confined to loopback. The known clients and counts are in the DOM, the
// chart has data points, the page wrote nothing to the console and nothing
// left loopback. The screenshot is kept in the test's artifact directory
// (go test -artifacts; ./build.sh test keeps it under ./artifacts/_artifacts);
// with COREBIND_UPDATE_SCREENSHOT=1 it also replaces
// the one the querylog README shows.
func TestQuerylogPage(t *testing.T) {
	testkit.Require(t, "dig", "chromium")
	port := testkit.FreePort(t)
	statsPort := testkit.FreePort(t)
	addr := testkit.HostPort("127.0.0.1", port)
	stats := testkit.HostPort("127.0.0.1", statsPort)
	testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1 ::1
	querylog {
		output file query.log
		stats {
			listen %s
		}
	}
	file example.org.db example.org
}
`, port, stats), testkit.CoreDNSOptions{Wait: addr, Files: map[string]string{"example.org.db": querylogZone}})

	// Who asks what, and what they get: these counts must show on the page.
	traffic := []struct {
		from, name, qtype string
		n                 int
		tcp               bool
	}{
		{"127.0.0.2", "www.example.org", "A", 7, false},
		{"127.0.0.3", "nx.example.org", "A", 4, false},
		{"127.0.0.4", "other.net", "A", 3, false}, // not served: REFUSED
		{"127.0.0.5", "www.example.org", "AAAA", 2, true},
		{"::1", "www.example.org", "A", 1, false},
	}
	total := 0
	for _, q := range traffic {
		server := "127.0.0.1"
		if strings.Contains(q.from, ":") {
			server = "::1"
		}
		for range q.n {
			args := []string{"@" + server, "-p", strconv.Itoa(port), "-b", q.from, q.name, q.qtype}
			if q.tcp {
				args = append(args, "+tcp")
			}
			if out, code := testkit.Dig(t, nil, args...); code != 0 {
				t.Fatalf("dig %s: exit %d\n%s", strings.Join(args, " "), code, out)
			}
			total++
		}
	}
	// Counted once the reply is sent: wait until /json has them all.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var doc struct {
			Clients []struct {
				IP string `json:"ip"`
			} `json:"clients"`
			Queries int `json:"queries"`
		}
		resp, err := http.Get("http://" + stats + "/json")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
		}
		n := 0
		for _, q := range traffic {
			for _, c := range doc.Clients {
				if c.IP == q.from {
					n++
				}
			}
		}
		if err == nil && n == len(traffic) && doc.Queries >= total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/json after %d queries: %+v (%v)", total, doc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	page := testkit.Chromium(t, "http://"+stats+"/", t.ArtifactDir(), "querylog-page", 1280, 1500, 3*time.Second)
	t.Logf("screenshot: %s", page.Screenshot)

	for _, q := range traffic {
		want := fmt.Sprintf(`data-ip="%s" data-queries="%d"`, q.from, q.n)
		if !strings.Contains(page.DOM, want) {
			t.Errorf("the page has no row %s", want)
		}
	}
	for _, want := range []string{
		`<td class="l">nx.example.org.</td><td>4</td>`, // NXDOMAIN names
		`<td class="l">other.net.</td><td>3</td>`,      // REFUSED names
		`<tr data-rcode="NXDOMAIN"><td class="l">NXDOMAIN</td><td>4</td>`,
		`<tr data-rcode="REFUSED"><td class="l">REFUSED</td><td>3</td>`,
		`<a href="json">/json</a>`,
		`id="pause"`,
		`Exact: fewer clients than the 100 slots.`,
	} {
		if !strings.Contains(page.DOM, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	m := regexp.MustCompile(`<svg id="chart-5m"[^>]*data-points="(\d+)" data-nonzero="(\d+)"`).FindStringSubmatch(page.DOM)
	if m == nil {
		t.Errorf("the per-second chart was not drawn:\n%s", page.DOM)
	} else if pts, nz := atoi(m[1]), atoi(m[2]); pts != 300 || nz < 1 {
		t.Errorf("per-second chart: %d points, %d with queries; want 300, at least 1", pts, nz)
	}
	if !regexp.MustCompile(`<svg id="chart-hour"[^>]*data-nonzero="[1-9]`).MatchString(page.DOM) {
		t.Error("the per-minute chart has no data point")
	}
	if len(page.Console) > 0 {
		t.Errorf("console messages (the page writes none):\n%s", strings.Join(page.Console, "\n"))
	}

	// The page asked its own listener for itself and /json; Chromium's own
	// background requests (update checks) went to the dead proxy. Nothing
	// connected, or sent a datagram, beyond loopback.
	origin := "http://" + stats + "/"
	var own []string
	for _, u := range page.Requests {
		if strings.HasPrefix(u, origin) {
			own = append(own, strings.TrimPrefix(u, origin))
		}
	}
	if !contains(own, "") || !contains(own, "json") {
		t.Errorf("the page's requests %q lack / and /json (all: %q)", own, page.Requests)
	}
	if len(page.Connects) == 0 {
		t.Error("the net log shows no connection at all: it is not read right")
	}
	for _, a := range page.Connects {
		if !a.Addr().IsLoopback() {
			t.Errorf("Chromium connected to %s, off loopback", a)
		}
	}
	if len(page.Probes) > 0 {
		t.Logf("UDP sockets connected without sending (source address probes): %v", page.Probes)
	}

	png, err := os.ReadFile(page.Screenshot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s: %v", page.Screenshot, err)
	}
	if os.Getenv("COREBIND_UPDATE_SCREENSHOT") == "1" {
		dst := filepath.Join(testkit.RepoRoot(), "plugin", "querylog", "testdata", "page.png")
		if err := os.WriteFile(dst, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("README screenshot updated: %s", dst)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestQuerylogStatsAllowMatchesBIND: `stats { allow }` decides like BIND's
// statistics-channels allow, side by side with named 9.18: the listed
// client is served, another is not. The difference, written down in the
// README: BIND closes the connection without an answer (and logs
// "rejected statistics connection"), corebind answers 403 and counts it.
func TestQuerylogStatsAllowMatchesBIND(t *testing.T) {
	testkit.Require(t, "named", "curl")
	bindStats := testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	testkit.StartNamed(t, testkit.NamedOptions{
		Conf: fmt.Sprintf("statistics-channels { inet 127.0.0.1 port %s allow { 127.0.0.2; }; };", strings.Split(bindStats, ":")[1]),
	})
	port := testkit.FreePort(t)
	ours := testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	testkit.StartCoreDNS(t, fmt.Sprintf(`.:%d {
	bind 127.0.0.1
	querylog {
		output file query.log
		stats {
			listen %s
			allow 127.0.0.2
		}
	}
	file example.org.db example.org
}
`, port, ours), testkit.CoreDNSOptions{Wait: testkit.HostPort("127.0.0.1", port), Files: map[string]string{"example.org.db": querylogZone}})
	curl := func(from, url string) (code string, exit int) {
		out, err := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
			"--retry", "20", "--retry-connrefused", "--retry-delay", "0", "--interface", from, url).Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			exit = ee.ExitCode()
		}
		return string(out), exit
	}
	if code, exit := curl("127.0.0.2", "http://"+bindStats+"/json/v1/server"); code != "200" {
		t.Errorf("BIND, allowed client: %s (curl exit %d)", code, exit)
	}
	if code, exit := curl("127.0.0.2", "http://"+ours+"/json"); code != "200" {
		t.Errorf("corebind, allowed client: %s (curl exit %d)", code, exit)
	}
	// curl exit 52 (empty reply) or 56 (reset): closed with no answer.
	if code, exit := curl("127.0.0.3", "http://"+bindStats+"/json/v1/server"); code != "000" || exit != 52 && exit != 56 {
		t.Errorf("BIND, other client: HTTP %s, curl exit %d; want no answer (000, exit 52 or 56)", code, exit)
	}
	if code, exit := curl("127.0.0.3", "http://"+ours+"/json"); code != "403" {
		t.Errorf("corebind, other client: %s (curl exit %d), want 403", code, exit)
	}
}
