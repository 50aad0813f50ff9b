package verify

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Summary counts a replay. Every query sent from every source address
// counts once.
type Summary struct {
	Queries   int
	Same      int
	Different int
	NoReply   int // no reply from either server (counted in Same)
	Answered  int // at least one server replied
	// Replies from each server (a server that never replies is likely
	// not running where -bind or -corebind says).
	BINDReplies, CorebindReplies int
}

// job is one query from one source address.
type job struct {
	q    Query
	from netip.Addr
}

type outcome struct {
	bind, core reply
	// The replies over TCP when both UDP replies were truncated: what a
	// client gets next, compared in full.
	bindTCP, coreTCP reply
}

// Replay asks both servers every query from every source address, writes
// each difference to out as it is found (in query order), and the summary
// line last.
func Replay(ctx context.Context, cfg Config, qs []Query, out io.Writer) Summary {
	froms := cfg.From
	if len(froms) == 0 {
		froms = []netip.Addr{{}}
	}
	jobs := make([]job, 0, len(qs)*len(froms))
	for _, q := range qs {
		for _, f := range froms {
			jobs = append(jobs, job{q, f})
		}
	}
	bind := &asker{server: cfg.BIND, timeout: cfg.Timeout, retries: cfg.Retries, tcp: cfg.TCP}
	core := &asker{server: cfg.Corebind, timeout: cfg.Timeout, retries: cfg.Retries, tcp: cfg.TCP}

	// Workers fill results; the printer below reports them in order as they
	// complete, so a long replay shows its differences early.
	results := make([]outcome, len(jobs))
	done := make([]chan struct{}, len(jobs))
	for i := range done {
		done[i] = make(chan struct{})
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Parallel, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				var o outcome
				var inner sync.WaitGroup
				inner.Add(1)
				go func() { defer inner.Done(); o.bind = bind.ask(ctx, j.q, j.from) }()
				o.core = core.ask(ctx, j.q, j.from)
				inner.Wait()
				if o.bind.msg != nil && o.core.msg != nil && o.bind.msg.Truncated && o.core.msg.Truncated {
					q := j.q
					q.TCP = true
					inner.Add(1)
					go func() { defer inner.Done(); o.bindTCP = bind.ask(ctx, q, j.from) }()
					o.coreTCP = core.ask(ctx, q, j.from)
					inner.Wait()
				}
				results[i] = o
				close(done[i])
			}
		}()
	}
	go func() {
		var tick *time.Ticker
		if cfg.QPS > 0 {
			tick = time.NewTicker(time.Second / time.Duration(cfg.QPS))
			defer tick.Stop()
		}
		for i := range jobs {
			if tick != nil && i > 0 {
				<-tick.C
			}
			next <- i
		}
		close(next)
	}()

	var sum Summary
	noReplyFrom := map[netip.Addr]int{}
	for i, j := range jobs {
		<-done[i]
		o := results[i]
		results[i] = outcome{} // a long replay keeps no reply it has judged
		sum.Queries++
		if o.bind.msg != nil {
			sum.BINDReplies++
		}
		if o.core.msg != nil {
			sum.CorebindReplies++
		}
		switch {
		case o.bind.msg == nil && o.core.msg == nil:
			sum.Same++
			sum.NoReply++
			noReplyFrom[j.from]++
			continue
		case o.bind.msg == nil || o.core.msg == nil:
			sum.Answered++
			sum.Different++
			printDiff(out, j, Difference{Field: "reply", BIND: o.bind.String(), Corebind: o.core.String()})
			continue
		}
		sum.Answered++
		diffs := Compare(o.bind.msg, o.core.msg)
		diffs = append(diffs, compareTCP(o)...)
		diffs = slices.DeleteFunc(diffs, func(d Difference) bool { return cfg.Ignore[d.Kind()] })
		if len(diffs) == 0 {
			sum.Same++
			continue
		}
		sum.Different++
		for _, d := range diffs {
			printDiff(out, j, d)
		}
	}
	wg.Wait()
	for _, f := range froms {
		if n := noReplyFrom[f]; n > 0 {
			fmt.Fprintf(out, "%s queries%s got no reply from either server: counted as same (e.g. a blackholed client, or both servers down)\n",
				commas(n), fromString(f))
		}
	}
	fmt.Fprintf(out, "%s queries, %s same, %s different\n", commas(sum.Queries), commas(sum.Same), commas(sum.Different))
	return sum
}

// compareTCP compares the TCP replies a truncation led to, their fields
// marked "over TCP".
func compareTCP(o outcome) []Difference {
	if o.bindTCP.msg == nil && o.coreTCP.msg == nil && o.bindTCP.err == nil && o.coreTCP.err == nil {
		return nil // no truncation
	}
	var d []Difference
	if o.bindTCP.msg == nil || o.coreTCP.msg == nil {
		d = []Difference{{Field: "reply", BIND: o.bindTCP.String(), Corebind: o.coreTCP.String()}}
	} else {
		d = Compare(o.bindTCP.msg, o.coreTCP.msg)
	}
	for i := range d {
		d[i].Field += " over TCP"
	}
	return d
}

func fromString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return " from " + a.String()
}

// printDiff writes one difference on one line: where the query came from,
// the query as BIND logs it, the source address, the field, both values.
func printDiff(out io.Writer, j job, d Difference) {
	fmt.Fprintf(out, "%s: %s%s: %s: BIND: %s; corebind: %s\n", j.q.Origin, j.q, fromString(j.from), d.Field, d.BIND, d.Corebind)
}

// commas formats n with thousands separated by commas: 1,943.
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
