package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The results of a run: what results.json holds, and RESULTS.md shows.
type results struct {
	Meta        map[string]string `json:"meta"`
	Scenarios   []*scenario       `json:"scenarios"`
	Flood       *floodResult      `json:"querylog_distinct_clients,omitempty"`
	FloodMemory *memory           `json:"querylog_distinct_clients_memory,omitempty"`
	Amplify     []*amplifyResult  `json:"amplification,omitempty"`
	GoBench     []goBench         `json:"go_benchmarks,omitempty"`

	dir string // where the run's raw outputs are
}

type scenario struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Commands    []string      `json:"commands,omitempty"`
	Variants    []*variant    `json:"variants,omitempty"`
	Comparisons []*comparison `json:"comparisons"`
	Memory      []*memCompare `json:"memory_comparisons,omitempty"`
	Profiles    []*profile    `json:"profiles,omitempty"`
}

// memCompare is a resident-size target: A's RSS over B's, at most Max.
type memCompare struct {
	Title string  `json:"title"`
	A     string  `json:"a"`
	B     string  `json:"b"`
	Max   float64 `json:"max_ratio"` // 0: reported, no target
	Ratio float64 `json:"ratio"`
	Met   bool    `json:"met"`
	// AnonRatio compares the anonymous parts (RssAnon), reported.
	AnonRatio float64 `json:"anon_ratio,omitempty"`
}

// profile is the top of a variant's CPU profile (go tool pprof -top).
type profile struct {
	Variant string `json:"variant"`
	Top     string `json:"top"`
}

type variant struct {
	Name        string    `json:"name"`
	Server      string    `json:"server"`
	Description string    `json:"description"`
	Runs        []perfRun `json:"runs"`
	QPS         spread    `json:"qps"`
	CPUPerQuery spread    `json:"server_cpu_seconds_per_query"`
	Memory      *memory   `json:"memory,omitempty"`
	GoMemory    *goMemory `json:"go_memory,omitempty"`
}

// goMemory is the Go runtime's account of a server's memory at the same
// moment as memory (runtime.MemStats), in KiB.
type goMemory struct {
	HeapInuseKiB int `json:"heap_inuse_kib"`
	StackKiB     int `json:"stack_inuse_kib"`
	SysKiB       int `json:"sys_kib"`
	ReleasedKiB  int `json:"heap_released_kib"`
}

// memory is a server's resident size after its scenario (VmRSS) and its
// peak (VmHWM), in KiB.
type memory struct {
	RSSKiB  int `json:"rss_kib"`
	PeakKiB int `json:"peak_kib"`
	AnonKiB int `json:"anon_kib,omitempty"` // RssAnon: the resident size but the binary's pages
}

// spread is the median and range of a set of figures.
type spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

func spreadOf(v []float64) spread {
	if len(v) == 0 {
		return spread{}
	}
	s := slices.Sorted(slices.Values(v))
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + m) / 2
	}
	return spread{Median: m, Min: s[0], Max: s[len(s)-1]}
}

// comparison is B's throughput over A's, round by round: each round ran A
// and B one after the other, so each ratio is one A/B pair.
type comparison struct {
	Title  string    `json:"title"`
	B      string    `json:"b"`
	A      string    `json:"a"`
	Op     string    `json:"op,omitempty"`
	Target *float64  `json:"target,omitempty"`
	Pairs  []float64 `json:"pair_ratios"`
	Ratio  spread    `json:"ratio"`
	Met    *bool     `json:"met,omitempty"`
	// CostPairs are, per pair, A's server CPU time per query over B's: the
	// throughput ratio a server alone on its core would show.
	CostPairs []float64 `json:"cpu_cost_pair_ratios"`
	Cost      spread    `json:"cpu_cost_ratio"`
	// CostMet judges the CPU-cost ratio against the same target.
	CostMet *bool `json:"cpu_cost_met,omitempty"`
}

func cmdReport(fs *flag.FlagSet, args []string) error {
	logPath := fs.String("log", "runs.tsv", "the run's log, written by bench/run.sh")
	md := fs.String("md", "RESULTS.md", "Markdown report to write")
	js := fs.String("json", "results.json", "JSON results to write")
	fs.Parse(args)
	res, err := readLog(*logPath)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*js, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(*md, []byte(res.markdown()), 0o644)
}

// readLog reads bench/run.sh's log: one record a line, tab-separated
// fields, the first naming the record.
func readLog(path string) (*results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res := &results{Meta: map[string]string{}, dir: filepath.Dir(path)}
	scenarios := map[string]*scenario{}
	variants := map[string]*variant{}
	getScenario := func(id string) *scenario {
		s := scenarios[id]
		if s == nil {
			s = &scenario{ID: id}
			scenarios[id] = s
			res.Scenarios = append(res.Scenarios, s)
		}
		return s
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		rec := strings.Split(sc.Text(), "\t")
		arg := func(i int) string {
			if i < len(rec) {
				return rec[i]
			}
			return ""
		}
		bad := func(err error) error { return fmt.Errorf("%s:%d: %s: %v", path, n, rec[0], err) }
		switch rec[0] {
		case "meta":
			res.Meta[arg(1)] = arg(2)
		case "scenario":
			getScenario(arg(1)).Title = arg(2)
		case "command":
			s := getScenario(arg(1))
			if !slices.Contains(s.Commands, arg(2)) {
				s.Commands = append(s.Commands, arg(2))
			}
		case "variant":
			v := &variant{Name: arg(2), Server: arg(3), Description: arg(4)}
			variants[v.Name] = v
			if arg(1) != "flood" {
				s := getScenario(arg(1))
				s.Variants = append(s.Variants, v)
			}
		case "run":
			v := variants[arg(1)]
			if v == nil {
				return nil, bad(fmt.Errorf("unknown variant %q", arg(1)))
			}
			run, err := readRun(arg(3))
			if err != nil {
				return nil, bad(err)
			}
			if run.Round, err = strconv.Atoi(arg(2)); err != nil {
				return nil, bad(err)
			}
			v.Runs = append(v.Runs, run)
		case "logged":
			v := variants[arg(1)]
			round, err1 := strconv.Atoi(arg(2))
			lines, err2 := strconv.Atoi(arg(3))
			if v == nil || err1 != nil || err2 != nil {
				return nil, bad(errors.New("want VARIANT ROUND LINES of a known variant"))
			}
			for i := range v.Runs {
				if v.Runs[i].Round == round {
					v.Runs[i].Logged = &lines
				}
			}
		case "cpu":
			v := variants[arg(1)]
			round, err1 := strconv.Atoi(arg(2))
			ticks, err2 := strconv.Atoi(arg(3))
			hz, err3 := strconv.Atoi(res.Meta["clk_tck"])
			if v == nil || err1 != nil || err2 != nil || err3 != nil || hz <= 0 {
				return nil, bad(errors.New("want VARIANT ROUND TICKS of a known variant, after meta clk_tck"))
			}
			for i := range v.Runs {
				if v.Runs[i].Round == round {
					v.Runs[i].CPUSeconds = float64(ticks) / float64(hz)
				}
			}
		case "mem":
			v := variants[arg(1)]
			rss, err1 := strconv.Atoi(arg(2))
			peak, err2 := strconv.Atoi(arg(3))
			if v == nil || err1 != nil || err2 != nil {
				return nil, bad(errors.New("want VARIANT RSS PEAK [ANON] of a known variant"))
			}
			v.Memory = &memory{RSSKiB: rss, PeakKiB: peak}
			if arg(4) != "" {
				if v.Memory.AnonKiB, err1 = strconv.Atoi(arg(4)); err1 != nil {
					return nil, bad(err1)
				}
			}
			if v.Name == "flood" {
				res.FloodMemory = v.Memory
			}
		case "gomem":
			v := variants[arg(1)]
			heap, err1 := strconv.Atoi(arg(2))
			stack, err2 := strconv.Atoi(arg(3))
			sys, err3 := strconv.Atoi(arg(4))
			released, err4 := strconv.Atoi(arg(5))
			if v == nil || err1 != nil || err2 != nil || err3 != nil || err4 != nil {
				return nil, bad(errors.New("want VARIANT HEAP STACK SYS RELEASED (KiB) of a known variant"))
			}
			v.GoMemory = &goMemory{heap, stack, sys, released}
		case "compare":
			c := &comparison{B: arg(2), A: arg(3), Op: arg(4), Title: arg(6)}
			if arg(5) != "" {
				t, err := strconv.ParseFloat(arg(5), 64)
				if err != nil {
					return nil, bad(err)
				}
				c.Target = &t
			}
			if variants[c.A] == nil || variants[c.B] == nil {
				return nil, bad(fmt.Errorf("unknown variant %q or %q", c.A, c.B))
			}
			s := getScenario(arg(1))
			s.Comparisons = append(s.Comparisons, c)
		case "flood":
			data, err := os.ReadFile(arg(1))
			if err != nil {
				return nil, bad(err)
			}
			res.Flood = new(floodResult)
			if err := json.Unmarshal(data, res.Flood); err != nil {
				return nil, bad(err)
			}
		case "amplify":
			data, err := os.ReadFile(arg(1))
			if err != nil {
				return nil, bad(err)
			}
			a := new(amplifyResult)
			if err := json.Unmarshal(data, a); err != nil {
				return nil, bad(err)
			}
			res.Amplify = append(res.Amplify, a)
		case "memory":
			m := &memCompare{A: arg(2), B: arg(3), Title: arg(5)}
			if arg(4) != "" { // no limit: reported only
				var err error
				if m.Max, err = strconv.ParseFloat(arg(4), 64); err != nil {
					return nil, bad(err)
				}
			}
			if variants[m.A] == nil || variants[m.B] == nil {
				return nil, bad(fmt.Errorf("unknown variant %q or %q", m.A, m.B))
			}
			s := getScenario(arg(1))
			s.Memory = append(s.Memory, m)
		case "profile":
			data, err := os.ReadFile(arg(3))
			if err != nil {
				return nil, bad(err)
			}
			s := getScenario(arg(1))
			s.Profiles = append(s.Profiles, &profile{Variant: arg(2), Top: string(data)})
		case "gobench":
			g, err := os.Open(arg(1))
			if err != nil {
				return nil, bad(err)
			}
			res.GoBench, err = parseGoBench(g)
			g.Close()
			if err != nil {
				return nil, bad(err)
			}
		default:
			return nil, bad(errors.New("unknown record"))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, v := range variants {
		var qps, cpu []float64
		for _, r := range v.Runs {
			qps = append(qps, r.QPS)
			cpu = append(cpu, r.cpuPerQuery())
		}
		v.QPS, v.CPUPerQuery = spreadOf(qps), spreadOf(cpu)
	}
	// The comparisons were computed as their records came; the CPU time of
	// a run is recorded after the run.
	for _, s := range res.Scenarios {
		for _, c := range s.Comparisons {
			c.compute(variants[c.A], variants[c.B])
		}
		for _, m := range s.Memory {
			a, b := variants[m.A].Memory, variants[m.B].Memory
			if a != nil && b != nil && b.RSSKiB > 0 {
				m.Ratio = float64(a.RSSKiB) / float64(b.RSSKiB)
				m.Met = m.Ratio <= m.Max
			}
			if a != nil && b != nil && b.AnonKiB > 0 {
				m.AnonRatio = float64(a.AnonKiB) / float64(b.AnonKiB)
			}
		}
	}
	// Numbered scenarios in number order (10 after 9), then the others.
	slices.SortStableFunc(res.Scenarios, func(a, b *scenario) int {
		na, ea := strconv.Atoi(a.ID)
		nb, eb := strconv.Atoi(b.ID)
		if ea == nil && eb == nil {
			return na - nb
		}
		return strings.Compare(a.ID, b.ID)
	})
	return res, nil
}

func readRun(path string) (perfRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return perfRun{}, err
	}
	defer f.Close()
	run, err := parseDNSPerf(f)
	if err != nil {
		return run, fmt.Errorf("%s: %v", path, err)
	}
	return run, nil
}

// compute pairs the rounds A and B both ran.
func (c *comparison) compute(a, b *variant) {
	c.Pairs, c.CostPairs = nil, nil
	for _, rb := range b.Runs {
		for _, ra := range a.Runs {
			if ra.Round != rb.Round {
				continue
			}
			if ra.QPS > 0 {
				c.Pairs = append(c.Pairs, rb.QPS/ra.QPS)
			}
			if rb.cpuPerQuery() > 0 {
				c.CostPairs = append(c.CostPairs, ra.cpuPerQuery()/rb.cpuPerQuery())
			}
		}
	}
	c.Ratio, c.Cost = spreadOf(c.Pairs), spreadOf(c.CostPairs)
	c.Met, c.CostMet = c.judge(c.Pairs, c.Ratio.Median), c.judge(c.CostPairs, c.Cost.Median)
}

// judge says whether ratio meets the target; nil without a target or pairs.
func (c *comparison) judge(pairs []float64, ratio float64) *bool {
	if c.Target == nil || len(pairs) == 0 {
		return nil
	}
	met := ratio >= *c.Target
	if c.Op == ">" {
		met = ratio > *c.Target
	}
	return &met
}
