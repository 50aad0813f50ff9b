package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const dnsperfOutput = `DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 30519 -d bench.queries -l 0.5 -c 4 -q 256
[Status] Testing complete (time limit)

Statistics:

  Queries sent:         21465
  Queries completed:    21460 (99.98%)
  Queries lost:         5 (0.02%)

  Response codes:       NOERROR 19330 (90.05%), NXDOMAIN 2130 (9.95%)
  Average packet size:  request 35, response 143
  Run time (s):         0.503907
  Queries per second:   42597.145902

  Average Latency (s):  0.005738 (min 0.000037, max 0.010657)
  Latency StdDev (s):   0.001435
`

func TestParseDNSPerf(t *testing.T) {
	run, err := parseDNSPerf(strings.NewReader(dnsperfOutput))
	if err != nil {
		t.Fatal(err)
	}
	if run.Sent != 21465 || run.Completed != 21460 || run.Lost != 5 {
		t.Errorf("sent/completed/lost = %d/%d/%d, want 21465/21460/5", run.Sent, run.Completed, run.Lost)
	}
	if run.QPS != 42597.145902 || run.LatencyAvg != 0.005738 {
		t.Errorf("qps %v, latency %v", run.QPS, run.LatencyAvg)
	}
	if run.RequestB != 35 || run.ResponseB != 143 {
		t.Errorf("sizes %d/%d, want 35/143", run.RequestB, run.ResponseB)
	}
	if len(run.Rcodes) != 2 || run.Rcodes["NOERROR"] != 19330 || run.Rcodes["NXDOMAIN"] != 2130 {
		t.Errorf("rcodes %v", run.Rcodes)
	}
	if _, err := parseDNSPerf(strings.NewReader("Error: could not open file\n")); err == nil {
		t.Error("output without statistics parsed without error")
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/corebind/corebind/plugin/chaosmask
BenchmarkIN        	12345678	        2.500 ns/op	       0 B/op	       0 allocs/op
BenchmarkCHText-2  	 1000000	      1210 ns/op	     480 B/op	       9 allocs/op
PASS
pkg: github.com/corebind/corebind/plugin/querylog
BenchmarkServeDNS 	 2000000	       612.0 ns/op	       0 B/op	       0 allocs/op
ok  	github.com/corebind/corebind/plugin/querylog	2.1s
`
	got, err := parseGoBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []goBench{
		{"github.com/corebind/corebind/plugin/chaosmask", "IN", 12345678, 2.5, 0, 0},
		{"github.com/corebind/corebind/plugin/chaosmask", "CHText-2", 1000000, 1210, 480, 9},
		{"github.com/corebind/corebind/plugin/querylog", "ServeDNS", 2000000, 612, 0, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d benchmarks, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("benchmark %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestComparison(t *testing.T) {
	a := &variant{Runs: []perfRun{{Round: 1, QPS: 100}, {Round: 2, QPS: 200}, {Round: 3, QPS: 100}}}
	b := &variant{Runs: []perfRun{{Round: 1, QPS: 95}, {Round: 2, QPS: 170}, {Round: 3, QPS: 80}}}
	target := 0.90
	c := &comparison{Op: ">=", Target: &target}
	c.compute(a, b)
	if len(c.Pairs) != 3 || c.Pairs[0] != 0.95 || c.Pairs[1] != 0.85 || c.Pairs[2] != 0.80 {
		t.Errorf("pairs %v, want [0.95 0.85 0.8]", c.Pairs)
	}
	if c.Ratio != (spread{Median: 0.85, Min: 0.80, Max: 0.95}) {
		t.Errorf("ratio %+v", c.Ratio)
	}
	if c.Met == nil || *c.Met {
		t.Errorf("met = %v, want false (median 0.85 < 0.90)", c.Met)
	}
	if s := spreadOf([]float64{4, 1, 3, 2}); s.Median != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", s.Median)
	}
}

func TestShorten(t *testing.T) {
	conf := "a {\n" + strings.Repeat("    delegate x\n", 8) + "    file z\n    acl " + strings.Repeat("p ", 100) + "\n}\n"
	want := "a {\n    delegate x\n    delegate x\n    delegate x\n    … (5 more delegate lines)\n    file z\n" +
		"    acl " + strings.Repeat("p ", 56) + " … (88 more characters)\n}"
	if got := shorten(conf); got != want {
		t.Errorf("shorten:\n%s\nwant:\n%s", got, want)
	}
}

// TestMemoryRecords: mem with its optional RssAnon, gomem, and the memory
// comparison's ratios, as the report shows them.
func TestMemoryRecords(t *testing.T) {
	log := writeLog(t, strings.Join([]string{
		"scenario\t1\tmemory",
		"variant\t1\ta\tcorebind\tA",
		"variant\t1\tb\tvanilla\tB",
		"mem\ta\t110000\t111000\t55000",
		"mem\tb\t70000\t70000\t27500",
		"gomem\ta\t30000\t9000\t60000\t3000",
		"memory\t1\ta\tb\t1.10\tA vs B",
	}, "\n")+"\n")
	res, err := readLog(log)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Scenarios[0].Memory[0]
	if math.Abs(m.Ratio-110000.0/70000) > 1e-9 || m.Met || math.Abs(m.AnonRatio-2) > 1e-9 {
		t.Errorf("memory comparison %+v, want ratio 1.571, not met, anonymous ratio 2", m)
	}
	md := res.markdown()
	if !strings.Contains(md, "| `a` | 107.4 | 53.7 | 53.7 | 29.3 | 8.8 |") {
		t.Errorf("the breakdown row of a is missing:\n%s", md)
	}
	if strings.Contains(md, "| `b` | 68.4") {
		t.Error("b has no runtime account, yet has a breakdown row")
	}
	if _, err := readLog(writeLog(t, "variant\t1\ta\tc\tA\ngomem\ta\t1\t2\n")); err == nil {
		t.Error("a gomem record without all four figures was accepted")
	}
}

func writeLog(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "runs.tsv")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
