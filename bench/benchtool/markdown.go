package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// markdown renders RESULTS.md.
func (res *results) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := res.Meta

	p("# corebind benchmark results\n\n")
	p("Written by `./build.sh bench` (`bench/run.sh`, `bench/benchtool`): a **%s** run on %s that took %s. ", m["mode"], m["date"], m["duration"])
	p("Every figure below comes from that run; bench/README.md describes the method and each scenario.\n\n")
	if w := m["pgo_warning"]; w != "" {
		p("> **Warning: %s.**\n\n", w)
	}
	if m["mode"] != "full" {
		p("> **A %s run checks the harness only: its figures mean nothing.**\n\n", m["mode"])
	}
	p("Load average (1, 5, 15 min) at the start: **%s**; at the end: **%s**. ", m["load_start"], m["load_end"])
	p("Absolute rates move with the machine's other work; ratios, measured side by side in alternation, move much less.\n\n")

	p("## Targets\n\n")
	p("Ratio: the variant's queries per second over its baseline's in the same round, one ratio per A/B pair; the figure is their median. ")
	p("CPU-cost ratio: the baseline server's CPU time per answered query over the variant's, per pair, median — the throughput ratio of servers alone on their core; where other work shares the core, it is the steadier figure. ")
	p("Each is judged against the target.\n\n")
	p("| # | Comparison | Ratio | Pairs | Target | | CPU-cost ratio | |\n|---|---|---:|---|---|---|---:|---|\n")
	for _, s := range res.Scenarios {
		for _, c := range s.Comparisons {
			p("| %s | %s | **%.3f** | %s | %s | %s | %.3f | %s |\n", s.ID, c.Title, c.Ratio.Median, ratios(c.Pairs),
				c.target(), verdict(c.Met), c.Cost.Median, verdict(c.CostMet))
		}
	}

	var mems []*memCompare
	for _, s := range res.Scenarios {
		mems = append(mems, s.Memory...)
	}
	if len(mems) > 0 {
		p("\n| Memory | Ratio of resident sizes | Target | | Ratio of their anonymous parts (RssAnon) |\n|---|---:|---|---|---:|\n")
		for _, m := range mems {
			target, met := "reported", ""
			if m.Max > 0 {
				target, met = fmt.Sprintf("≤ %.2f", m.Max), verdict(&m.Met)
			}
			p("| %s (`%s` / `%s`) | **%.3f** | %s | %s | %.3f |\n", m.Title, m.A, m.B, m.Ratio, target, met, m.AnonRatio)
		}
		goMemoryTable(p, res, mems)
	}

	p("\n## Machine and versions\n\n| | |\n|---|---|\n")
	for _, k := range []struct{ key, label string }{
		{"cpu", "CPU"}, {"cores", "Cores"}, {"memory", "Memory"}, {"kernel", "Kernel"},
		{"corebind", "corebind"}, {"vanilla", "Vanilla CoreDNS"}, {"bind", "BIND"},
		{"dnsperf", "dnsperf"}, {"go", "Go"}, {"commit", "Commit"},
		{"pgo", "Profile (default.pgo)"}, {"sizes", "Binary sizes"}, {"build_times", "Cold build (go build -a)"},
	} {
		if m[k.key] != "" {
			p("| %s | %s |\n", k.label, m[k.key])
		}
	}

	p("\n## Method\n\n")
	p("- Pinning: %s.\n", m["pinning"])
	p("- Each variant of a scenario runs as its own server, all started together; each gets a %ss warm-up, then %s round(s) of %ss, the order of the variants reversed every other round.\n", m["warmup"], m["rounds"], m["seconds"])
	p("- Before measuring, the harness checks with `dig` that each server gives the answer its scenario claims (and that compared servers give the same records); a run whose answers have an unexpected response code stops the benchmark.\n")
	p("- Resolution: scenarios 1 to 4 also run their baseline twice, as two identical processes (the `-twin` variants); their A/A ratios show how far apart the same server comes out in this run, and a target closer to 1 than their spread cannot be told from noise here.\n")
	p("- Memory: the server's resident size (VmRSS) after its scenario's last round, and its peak (VmHWM); for the memory targets also its anonymous part (RssAnon: heap, stacks), which leaves out the binary's pages.\n")

	for _, s := range res.Scenarios {
		p("\n## Scenario %s\n\n%s.\n\n", s.ID, s.Title)
		for _, c := range s.Commands {
			p("`%s`\n\n", c)
		}
		if len(s.Variants) > 0 {
			p("| Variant | Server | q/s median | min–max | server CPU µs/query | avg latency | lost | response bytes | logged | RSS MiB (peak) |\n")
			p("|---|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
			for _, v := range s.Variants {
				p("| `%s`: %s | %s | **%.0f** | %.0f–%.0f | %.2f | %s | %s | %s | %s | %s |\n",
					v.Name, v.Description, v.Server, v.QPS.Median, v.QPS.Min, v.QPS.Max, v.CPUPerQuery.Median*1e6,
					v.latency(), v.lost(), v.responseSize(), v.logged(), v.Memory.mib())
			}
			p("\n")
		}
		if len(s.Comparisons) > 0 {
			p("| Comparison | Per-pair ratios | Median | min–max | Target | CPU-cost ratios | Median |\n|---|---|---:|---|---|---|---:|\n")
			for _, c := range s.Comparisons {
				p("| %s (`%s` / `%s`) | %s | **%.3f** | %.3f–%.3f | %s %s | %s | %.3f |\n", c.Title, c.B, c.A,
					ratios(c.Pairs), c.Ratio.Median, c.Ratio.Min, c.Ratio.Max, c.target(), verdict(c.Met),
					ratios(c.CostPairs), c.Cost.Median)
			}
		}
		for _, pr := range s.Profiles {
			p("\nCPU profile of `%s` (a round of its own after the counted ones; `go tool pprof -top`):\n\n```\n%s```\n", pr.Variant, pr.Top)
		}
	}

	if f := res.Flood; f != nil {
		p("\n## querylog statistics under %d distinct clients\n\n", f.Clients)
		p("`benchtool flood` sends one query from each of %d distinct source addresses of 127.0.0.0/8 (127.1.0.0 upwards, one socket, IP_PKTINFO), ", f.Clients)
		p("mixed at random with %d known top talkers (127.0.0.2 upwards), to a corebind with querylog writing a file in bind format with `stats { top 100 }`; ", len(f.Heavy))
		p("%d queries, %d answered, in %.1fs. The server's resident memory as the distinct clients grow:\n\n", f.Queries, f.Answered, f.Seconds)
		p("| Queries sent | Distinct clients so far | RSS MiB |\n|---:|---:|---:|\n")
		for _, c := range f.Checkpoints {
			p("| %d | %d | %.1f |\n", c.Sent, c.Distinct, float64(c.RSSKiB)/1024)
		}
		if res.FloodMemory != nil {
			p("\nPeak resident memory (VmHWM): %.1f MiB.\n", float64(res.FloodMemory.PeakKiB)/1024)
		}
		if st := f.Stats; st != nil {
			p("\nWhat `GET /json` reported afterwards: %d queries, about %d clients seen (an estimate), %d clients tracked in %d slots, error bound %d. ",
				st.Queries, st.ClientsSeen, st.Tracked, st.TopSlots, st.ErrorBound)
			if st.TopAreHeavy {
				p("The %d top talkers hold the first %d places, in order:\n\n", len(f.Heavy), len(f.Heavy))
			} else {
				p("**The top talkers do not hold the first places in order:**\n\n")
			}
			p("| Client | Sent | Reported | Rank |\n|---|---:|---:|---:|\n")
			for _, h := range f.Heavy {
				p("| %s | %d | %d | %d |\n", h.IP, h.Sent, h.Reported, h.Rank)
			}
		}
	}

	if len(res.Amplify) > 0 {
		a0 := res.Amplify[0]
		p("\n## Amplification of a spoofed flood (rrl)\n\n")
		p("`benchtool amplify` sends %d queries a second for `%s` (EDNS 4096), all from the victim's address %s (spoofed: one socket, IP_PKTINFO), ", a0.QPS, a0.Query, a0.Victim)
		p("for %.0f s, and counts what the victim receives. Amplification: bytes received over bytes sent.\n\n", float64(a0.Queries)/float64(max(a0.QPS, 1)))
		p("| Variant | Queries | Bytes sent | Replies | Truncated | Bytes received | Amplification |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, a := range res.Amplify {
			p("| `%s` | %d | %d | %d | %d | %d | **%.2f** |\n", a.Variant, a.Queries, a.BytesSent, a.Replies, a.Truncated, a.BytesReceived, a.Amplification)
		}
	}

	if len(res.GoBench) > 0 {
		p("\n## Go micro-benchmarks\n\n`go test -p 1 -run '^$' -bench . -benchmem ./plugin/...`, on the server core.\n\n")
		p("| Package | Benchmark | ns/op | B/op | allocs/op |\n|---|---|---:|---:|---:|\n")
		for _, g := range res.GoBench {
			p("| %s | %s | %s | %.0f | %.0f |\n", strings.TrimPrefix(g.Package, "github.com/corebind/corebind/"),
				g.Name, nsop(g.NsPerOp), g.BytesPerOp, g.AllocsPerOp)
		}
	}

	p("\n## Configurations\n\nThe Corefiles and named.conf of this run, as bench/run.sh wrote them (long lines shortened).\n")
	for _, s := range res.Scenarios {
		for _, v := range s.Variants {
			res.config(&b, v.Name)
		}
	}
	res.config(&b, "flood")
	res.config(&b, "upstream")
	return b.String()
}

// config appends the variant's configuration file, if the run left one.
func (res *results) config(b *strings.Builder, name string) {
	for _, file := range []string{"Corefile", "named.conf"} {
		data, err := os.ReadFile(filepath.Join(res.dir, "srv", name, file))
		if err != nil {
			continue
		}
		fmt.Fprintf(b, "\n<details><summary><code>%s</code> %s</summary>\n\n~~~ txt\n%s\n~~~\n\n</details>\n",
			name, file, shorten(string(data)))
	}
}

// shorten keeps a configuration readable: lines over 160 characters are
// cut, and of a run of more than six lines starting with the same word
// (400 delegate lines) the first three are kept.
func shorten(conf string) string {
	var lines []string
	for l := range strings.Lines(conf) {
		l = strings.TrimRight(l, "\n")
		if len(l) > 160 {
			l = fmt.Sprintf("%s … (%d more characters)", l[:120], len(l)-120)
		}
		lines = append(lines, l)
	}
	word := func(l string) string {
		f := strings.Fields(l)
		if len(f) == 0 {
			return ""
		}
		return f[0]
	}
	var out []string
	for i := 0; i < len(lines); {
		j := i + 1
		for j < len(lines) && word(lines[j]) != "" && word(lines[j]) == word(lines[i]) {
			j++
		}
		if j-i > 6 {
			indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
			out = append(out, lines[i:i+3]...)
			out = append(out, fmt.Sprintf("%s… (%d more %s lines)", indent, j-i-3, word(lines[i])))
		} else {
			out = append(out, lines[i:j]...)
		}
		i = j
	}
	return strings.Join(out, "\n")
}

func ratios(v []float64) string {
	s := make([]string, len(v))
	for i, r := range v {
		s[i] = fmt.Sprintf("%.3f", r)
	}
	return strings.Join(s, " ")
}

func (c *comparison) target() string {
	if c.Target == nil {
		return "reported"
	}
	op := map[string]string{">=": "≥", ">": ">"}[c.Op]
	return fmt.Sprintf("%s %.2f", op, *c.Target)
}

func verdict(met *bool) string {
	switch {
	case met == nil:
		return ""
	case *met:
		return "met"
	default:
		return "**short**"
	}
}

func (v *variant) latency() string {
	var l []float64
	for _, r := range v.Runs {
		l = append(l, r.LatencyAvg)
	}
	return fmt.Sprintf("%.2f ms", spreadOf(l).Median*1000)
}

func (v *variant) lost() string {
	sent, lost := 0, 0
	for _, r := range v.Runs {
		sent += r.Sent
		lost += r.Lost
	}
	if sent == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(lost)/float64(sent))
}

func (v *variant) responseSize() string {
	if len(v.Runs) == 0 {
		return "–"
	}
	return fmt.Sprint(v.Runs[0].ResponseB)
}

// logged is the share of answered queries that reached the query log.
func (v *variant) logged() string {
	lines, done := 0, 0
	for _, r := range v.Runs {
		if r.Logged == nil {
			return "–"
		}
		lines += *r.Logged
		done += r.Completed
	}
	if done == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(lines)/float64(done))
}

func (m *memory) mib() string {
	if m == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f (%.1f)", float64(m.RSSKiB)/1024, float64(m.PeakKiB)/1024)
}

func nsop(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// goMemoryTable splits the resident size of the servers compared for memory:
// the binary's pages (file-backed, VmRSS less RssAnon), and the anonymous
// part as the Go runtime accounts for it (heap in use, goroutine stacks, the
// rest it holds and has not given back).
func goMemoryTable(p func(string, ...any), res *results, mems []*memCompare) {
	var vs []*variant
	for _, m := range mems {
		for _, s := range res.Scenarios {
			for _, v := range s.Variants {
				if (v.Name == m.A || v.Name == m.B) && v.Memory != nil && v.Memory.AnonKiB > 0 && v.GoMemory != nil && !slices.Contains(vs, v) {
					vs = append(vs, v)
				}
			}
		}
	}
	if len(vs) == 0 {
		return
	}
	p("\nWhat the resident sizes are made of, in MiB, read at the same moment (`/proc/PID/status`, and `runtime.MemStats` from pprof's heap page):\n\n")
	p("| Server | Resident | Binary pages | Anonymous | Go heap in use | Goroutine stacks |\n|---|---:|---:|---:|---:|---:|\n")
	mib := func(kib int) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }
	for _, v := range vs {
		m, g := v.Memory, v.GoMemory
		p("| `%s` | %s | %s | %s | %s | %s |\n", v.Name, mib(m.RSSKiB), mib(m.RSSKiB-m.AnonKiB), mib(m.AnonKiB),
			mib(g.HeapInuseKiB), mib(g.StackKiB))
	}
}
