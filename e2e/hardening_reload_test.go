package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
)

// Reloads under load: how many, how far apart, and the load.
const (
	reloadCount    = 50
	reloadInterval = time.Second
	reloadRate     = "2000" // dnsperf queries per second
)

// reloadQueries is the load: authoritative, reverse, stub-zone and
// recursive names, as an office client asks them.
const reloadQueries = `www.example.org A
80.2.0.192.in-addr.arpa PTR
3.2.0.192.in-addr.arpa PTR
www.corp.example A
mail.corp.example A
www.outside.test A
`

// reloadUnderLoad sends SIGUSR1 to c reloadCount times, reloadInterval
// apart, each after the previous reload completed, while dnsperf sends
// reloadQueries to addr. It returns dnsperf's statistics; measure, if set,
// runs after the 5th reload and after the last.
func reloadUnderLoad(t *testing.T, c *testkit.CoreDNS, addr string, measure func(n int)) testkit.PerfResult {
	t.Helper()
	dir := t.TempDir()
	queries := filepath.Join(dir, "queries.txt")
	if err := os.WriteFile(queries, []byte(reloadQueries), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port := hardeningSplit(addr)
	perf := testkit.StartDNSPerf(t, "-s", host, "-p", port, "-a", hardeningOffice, "-d", queries,
		"-l", "3600", "-Q", reloadRate, "-c", "4", "-t", "5")
	time.Sleep(2 * time.Second) // under load before the first reload
	for i := 1; i <= reloadCount; i++ {
		c.Reload()
		if !testkit.Eventually(30*time.Second, func() bool {
			return strings.Count(c.Output(), "Reloading complete") >= i
		}) {
			t.Fatalf("reload %d did not complete within 30s:\n%s", i, c.Output())
		}
		if measure != nil && (i == 5 || i == reloadCount) {
			measure(i)
		}
		time.Sleep(reloadInterval)
	}
	time.Sleep(2 * time.Second) // under load after the last one too
	return perf.Stop(t)
}

// TestHardeningReloadUnderLoad reloads corebind (all six plugins) 50
// times under a steady dnsperf load, and upstream CoreDNS with the same
// Corefile less corebind's plugins likewise. corebind may lose no more
// queries than CoreDNS does; no query is answered SERVFAIL (the stub zone
// is served from its saved copy at once after each reload); goroutines and
// file descriptors do not grow from the 5th reload to the 50th; querylog's
// statistics start again at each reload, as its README says.
func TestHardeningReloadUnderLoad(t *testing.T) {
	e := hardeningStart(t, hardeningOptions{})
	var base testkit.Usage
	var stats1 reloadStats
	got := reloadUnderLoad(t, e.Core, e.Addr, func(n int) {
		// Let the old instance's goroutines finish (the old servers stop
		// gracefully) before counting.
		var u testkit.Usage
		testkit.Eventually(15*time.Second, func() bool {
			u = e.Usage(t)
			return n == 5 || (u.FDs <= base.FDs+2 && u.Goroutines <= base.Goroutines+5)
		})
		if n == 5 {
			base = u
			stats1 = reloadReadStats(t, e.Stats)
			return
		}
		t.Logf("after %d reloads: %v; after 5: %v", n, u, base)
		if u.FDs > base.FDs+2 {
			t.Errorf("file descriptors grew from %d after 5 reloads to %d after %d", base.FDs, u.FDs, n)
		}
		if u.Goroutines > base.Goroutines+5 {
			t.Errorf("goroutines grew from %d after 5 reloads to %d after %d", base.Goroutines, u.Goroutines, n)
		}
	})
	t.Logf("corebind, %d reloads under load: sent %d, lost %d, %v", reloadCount, got.Sent, got.Lost, got.Rcodes)
	if got.Rcodes["SERVFAIL"] > 0 {
		t.Errorf("%d queries answered SERVFAIL across the reloads:\n%s\n%s", got.Rcodes["SERVFAIL"], got.Output, e.Core.Output())
	}
	if got.Rcodes["NOERROR"] != got.Completed {
		t.Errorf("not every query answered NOERROR: %v", got.Rcodes)
	}

	// querylog: a reload starts the statistics again.
	stats2 := reloadReadStats(t, e.Stats)
	if !stats2.Since.After(stats1.Since) {
		t.Errorf("querylog statistics kept their start %v across 45 reloads (now %v); the README says a reload resets them", stats1.Since, stats2.Since)
	}
	if stats2.Queries >= int64(got.Sent) {
		t.Errorf("querylog statistics count %d queries after the last reload, of %d sent in all: not reset", stats2.Queries, got.Sent)
	}
	// The stub zone answers from the start of each instance.
	hardeningCheck(t, "udp", e.Addr)

	// CoreDNS itself under the same load and reloads, on the same address.
	if err := e.Core.Stop(); err != nil {
		t.Errorf("corebind did not stop cleanly: %v", err)
	}
	vanilla := testkit.StartCoreDNSBinary(t, buildVanilla(t), reloadVanilla(e.corefile), testkit.CoreDNSOptions{
		Wait:  e.Addr,
		Files: map[string]string{"db.example.org": hardeningExampleOrg, "db.2.0.192": hardeningReverse},
	})
	van := reloadUnderLoad(t, vanilla, e.Addr, nil)
	t.Logf("CoreDNS %d reloads under load: sent %d, lost %d, %v", reloadCount, van.Sent, van.Lost, van.Rcodes)
	if got.Lost > reloadLossBound(van) {
		t.Errorf("corebind lost %d of %d queries across %d reloads; CoreDNS alone lost %d of %d (bound %d)",
			got.Lost, got.Sent, reloadCount, van.Lost, van.Sent, reloadLossBound(van))
	}
}

// reloadLossBound is how many queries corebind may lose across the reloads
// given what CoreDNS alone lost: as many, twice over, plus what dnsperf
// may have in flight when it is interrupted (its -c 4 clients' share of a
// millisecond).
func reloadLossBound(vanilla testkit.PerfResult) int { return 2*vanilla.Lost + 10 }

// reloadStats is the part of querylog's /json this test reads.
type reloadStats struct {
	Since   time.Time `json:"since"`
	Queries int64     `json:"queries"`
}

func reloadReadStats(t *testing.T, addr string) reloadStats {
	t.Helper()
	var s reloadStats
	if err := json.Unmarshal([]byte(testkit.HTTPGet(t, "http://"+addr+"/json")), &s); err != nil {
		t.Fatalf("querylog /json: %v", err)
	}
	return s
}

// reloadVanilla removes corebind's six directives, with their blocks,
// from a hardening Corefile: what upstream CoreDNS can run of it.
func reloadVanilla(corefile string) string {
	var out []string
	depth := 0
	for _, line := range strings.SplitAfter(corefile, "\n") {
		f := strings.Fields(line)
		switch {
		case depth > 0:
			depth += strings.Count(line, "{") - strings.Count(line, "}")
		case len(f) > 0 && slices.Contains([]string{"querylog", "rrl", "chaosmask", "recursionacl", "rfc2317", "stubzones"}, f[0]):
			depth = strings.Count(line, "{") - strings.Count(line, "}")
		default:
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
