package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// perfRun is what one dnsperf run reported.
type perfRun struct {
	Round      int            `json:"round"`
	QPS        float64        `json:"qps"`
	Sent       int            `json:"sent"`
	Completed  int            `json:"completed"`
	Lost       int            `json:"lost"`
	Rcodes     map[string]int `json:"rcodes"`
	LatencyAvg float64        `json:"latency_avg_seconds"`
	RequestB   int            `json:"request_bytes"`
	ResponseB  int            `json:"response_bytes"`
	// Logged is the number of lines the server's query log got during the
	// run, for the variants that log (nil otherwise).
	Logged *int `json:"logged_lines,omitempty"`
	// CPUSeconds is the CPU time (user and system) the server used during
	// the run.
	CPUSeconds float64 `json:"server_cpu_seconds"`
}

// cpuPerQuery is the server's CPU time per answered query, in seconds.
func (r perfRun) cpuPerQuery() float64 {
	if r.Completed == 0 {
		return 0
	}
	return r.CPUSeconds / float64(r.Completed)
}

// parseDNSPerf reads dnsperf's statistics:
//
//	Queries sent:         21465
//	Queries completed:    21465 (100.00%)
//	Queries lost:         0 (0.00%)
//	Response codes:       NOERROR 19330 (90.05%), NXDOMAIN 2135 (9.95%)
//	Average packet size:  request 35, response 143
//	Queries per second:   42597.145902
//	Average Latency (s):  0.005738 (min 0.000037, max 0.010657)
func parseDNSPerf(r io.Reader) (perfRun, error) {
	run := perfRun{Rcodes: map[string]int{}}
	seen := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			continue
		}
		var err error
		switch key {
		case "Queries sent":
			run.Sent, err = strconv.Atoi(f[0])
		case "Queries completed":
			run.Completed, err = strconv.Atoi(f[0])
		case "Queries lost":
			run.Lost, err = strconv.Atoi(f[0])
		case "Queries per second":
			run.QPS, err = strconv.ParseFloat(f[0], 64)
			seen++
		case "Average Latency (s)":
			run.LatencyAvg, err = strconv.ParseFloat(f[0], 64)
		case "Average packet size":
			// request 35, response 143
			if len(f) == 4 {
				run.RequestB, _ = strconv.Atoi(strings.TrimSuffix(f[1], ","))
				run.ResponseB, _ = strconv.Atoi(f[3])
			}
		case "Response codes":
			for _, part := range strings.Split(val, ",") {
				p := strings.Fields(part)
				if len(p) >= 2 {
					n, cerr := strconv.Atoi(p[1])
					if cerr != nil {
						return run, fmt.Errorf("response codes %q: %v", val, cerr)
					}
					run.Rcodes[p[0]] = n
				}
			}
		}
		if err != nil {
			return run, fmt.Errorf("%s: %v", key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return run, err
	}
	if seen == 0 {
		return run, fmt.Errorf("no \"Queries per second\" line: not dnsperf's statistics")
	}
	return run, nil
}

// goBench is one line of go test -bench -benchmem.
type goBench struct {
	Package     string  `json:"package"`
	Name        string  `json:"name"`
	Iterations  int     `json:"iterations"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
}

// parseGoBench reads go test -bench output: "pkg:" lines name the package
// of the benchmark lines that follow.
func parseGoBench(r io.Reader) ([]goBench, error) {
	var out []goBench
	pkg := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		b := goBench{Package: pkg, Name: strings.TrimPrefix(f[0], "Benchmark")}
		var err error
		if b.Iterations, err = strconv.Atoi(f[1]); err != nil {
			continue // a benchmark's own log line
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", line, err)
			}
			switch f[i+1] {
			case "ns/op":
				b.NsPerOp = v
			case "B/op":
				b.BytesPerOp = v
			case "allocs/op":
				b.AllocsPerOp = v
			}
		}
		out = append(out, b)
	}
	return out, sc.Err()
}
