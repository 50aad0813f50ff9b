package convert

import (
	"fmt"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
)

// channel is a logging channel reduced to what querylog and recursionacl
// can write to.
type channel struct {
	kind     string // file, syslog, stderr, null
	path     string
	facility string
	stmt     *namedconf.Statement
	approx   []string
}

func (c *converter) channels() map[string]*channel {
	m := map[string]*channel{
		"default_syslog": {kind: "syslog", facility: "daemon"},
		"default_stderr": {kind: "stderr"},
		"null":           {kind: "null"},
		"default_debug":  {kind: "null"}, // logs at debug levels only
	}
	lg := namedconf.Find(c.cfg.Statements, "logging")
	if lg == nil {
		return m
	}
	for _, s := range lg.Body() {
		if s.Name() != "channel" {
			continue
		}
		ch := &channel{kind: "null", stmt: s}
		for _, o := range s.Body() {
			switch o.Name() {
			case "file":
				ch.kind, ch.path = "file", o.Arg(0)
				a := o.Args()
				for i := 1; i < len(a); i++ {
					if n := strings.ToLower(a[i].Text); n == "versions" || n == "size" || n == "suffix" {
						ch.approx = append(ch.approx, "file rotation (versions, size) is left to logrotate: querylog reopens a renamed file")
						break
					}
				}
			case "syslog":
				ch.kind, ch.facility = "syslog", "daemon"
				if f := o.Arg(0); f != "" {
					ch.facility = strings.ToLower(f)
				}
			case "stderr":
				ch.kind = "stderr"
			case "null":
				ch.kind = "null"
			case "print-time", "print-category", "print-severity":
				if !yes(o) && ch.kind != "syslog" {
					ch.approx = append(ch.approx, "querylog always writes BIND's time, category and severity prefix to files")
				}
			}
		}
		m[s.Arg(0)] = ch
	}
	return m
}

// categoryChannels lists the channels of a category, nil when it is not
// configured.
func (c *converter) categoryChannels(cat string) (*namedconf.Statement, []string) {
	lg := namedconf.Find(c.cfg.Statements, "logging")
	if lg == nil {
		return nil, nil
	}
	for _, s := range lg.Body() {
		if s.Name() == "category" && strings.EqualFold(s.Arg(0), cat) {
			var out []string
			for _, e := range s.Body() {
				out = append(out, e.Name())
			}
			return s, out
		}
	}
	return nil, nil
}

// sink writes a channel as the Corefile lines of a log destination:
// word is querylog's "output" or recursionacl's "log", extra the lines
// that follow the destination (querylog's class). Null channels and
// unknown kinds write nothing.
func (c *converter) sink(ch *channel, word string, extra ...string) string {
	var lines []string
	switch ch.kind {
	case "file":
		lines = append([]string{word + " file " + quote(c.logPath(ch.path))}, extra...)
	case "stderr":
		lines = append([]string{word + " stderr"}, extra...)
	case "syslog":
		lines = append([]string{word + " syslog"}, extra...)
		if ch.facility != "daemon" {
			lines = append(lines, "facility "+ch.facility)
		}
		lines = append(lines, "tag named")
	}
	return strings.Join(lines, "\n")
}

// categoryLog is the log line of a plugin that writes one of BIND's
// categories (recursionacl: security, rrl: rate-limit): the category's
// first file, syslog or stderr channel; "" when the category is not
// configured or has none.
func (c *converter) categoryLog(cat string) string {
	_, names := c.categoryChannels(cat)
	chs := c.channels()
	for _, n := range names {
		ch := chs[n]
		if ch == nil {
			continue
		}
		if l := c.sink(ch, "log"); l != "" {
			return l
		}
	}
	return ""
}

// markCategoryLog marks a category a plugin's log carries (its first
// channel: categoryLog) and the channels it names.
func (c *converter) markCategoryLog(cat *namedconf.Statement, names []string, dir, what string) {
	if len(names) > 1 {
		c.mark(cat, Approx, dir+": "+what+"; only the first channel is written")
	} else {
		c.mark(cat, Carried, dir+": "+what)
	}
	chs := c.channels()
	for _, nm := range names {
		if ch := chs[nm]; ch != nil && ch.stmt != nil {
			c.mark(ch.stmt, Carried, dir)
		}
	}
}

// logPath resolves a log file path as BIND does: relative to directory.
func (c *converter) logPath(p string) string {
	if strings.HasPrefix(p, "/") || c.cfg.Directory == "" {
		return p
	}
	return strings.TrimSuffix(c.cfg.Directory, "/") + "/" + p
}

// logging carries querylog and the logging statement into querylog (in
// every server block) and marks the report.
func (c *converter) logging() {
	chs := c.channels()
	ql := get("querylog", c.options)
	qcat, qnames := c.categoryChannels("queries")
	on := (ql != nil && yes(ql)) || (ql == nil && qcat != nil)
	var outs []string
	var from []namedconf.Pos
	if ql != nil {
		from = append(from, ql.Pos)
	}
	if qcat != nil {
		from = append(from, qcat.Pos)
	}
	var approx []string
	if on {
		names := qnames
		if qcat == nil {
			if _, d := c.categoryChannels("default"); d != nil {
				names = d
			} else {
				names = []string{"default_syslog"}
			}
		}
		for _, n := range names {
			ch := chs[n]
			if ch == nil {
				approx = append(approx, "channel "+n+" is not defined")
				continue
			}
			approx = append(approx, ch.approx...)
			if o := c.sink(ch, "output"); o != "" {
				outs = append(outs, o)
			}
			if ch.stmt != nil {
				c.mark(ch.stmt, Carried, "querylog output")
			}
		}
	}
	st, note := Carried, "querylog in every server block"
	if len(approx) > 0 {
		st, note = Approx, "querylog; "+strings.Join(dedupe(approx), "; ")
	}
	if ql != nil {
		if on {
			c.mark(ql, st, note)
		} else {
			c.mark(ql, Carried, "no query log")
		}
	}
	if qcat != nil {
		if on {
			c.mark(qcat, st, note)
		} else {
			c.mark(qcat, Carried, "querylog no turns the queries category off, as in BIND")
		}
	}
	if sc, names := c.categoryChannels("security"); sc != nil {
		if c.categoryLog("security") != "" {
			c.markCategoryLog(sc, names, "recursionacl log", "denial lines in BIND's form")
		} else {
			c.mark(sc, Carried, "no denial log")
		}
	}
	// Statistics channels become CoreDNS's Prometheus endpoint.
	var prom, promAllow []string
	var promFrom []namedconf.Pos
	var promBad []string
	for _, s := range c.cfg.Statements {
		if s.Name() != "statistics-channels" {
			continue
		}
		for _, in := range s.Body() {
			if in.Name() != "inet" {
				continue
			}
			addr, port, allow := in.Arg(0), "80", "any" // BIND's default: every client
			a := in.Args()
			for i := 0; i+1 < len(a); i++ {
				switch {
				case strings.EqualFold(a[i].Text, "port"):
					port = a[i+1].Text
				case strings.EqualFold(a[i].Text, "allow") && a[i+1].Kind == namedconf.Block:
					list, bad := c.parseList(a[i+1].Block)
					promBad = append(promBad, bad...)
					allow = strings.Join(c.plainElements(list, map[string]bool{}, &promBad, nil), " ")
					if allow == "" {
						allow = "none"
					}
				}
			}
			if addr == "*" {
				addr = ""
			}
			prom = append(prom, joinHP(addr, port))
			promAllow = append(promAllow, allow)
			promFrom = append(promFrom, in.Pos)
		}
		if len(outs) > 0 {
			note := "querylog stats { listen; allow }: per-client and per-name statistics as a page at http://ADDRESS/ and JSON at /json instead of BIND's XML/JSON statistics; the allow list is carried (BIND's default, any, written out when there is none)"
			if len(promBad) > 0 {
				note += "; left out of allow: " + strings.Join(promBad, "; ")
			}
			c.mark(s, Approx, note)
		} else {
			c.mark(s, Approx, "prometheus: CoreDNS's metrics at http://ADDRESS/metrics instead of BIND's XML/JSON statistics (querylog's stats need query logging on); its allow list is not carried")
		}
	}
	// BIND 8's host statistics and the statistics interval become
	// querylog's stats, and with query logging on the statistics channel
	// is querylog's HTTP listener (in the first block only: one listener
	// per address).
	var stats []string
	var statsFrom []namedconf.Pos
	if hs := get("host-statistics", c.options); hs != nil && yes(hs) {
		top := "100"
		statsFrom = append(statsFrom, hs.Pos)
		if m := get("host-statistics-max", c.options); m != nil {
			top = m.Arg(0)
			statsFrom = append(statsFrom, m.Pos)
			if len(outs) > 0 {
				c.mark(m, Carried, "querylog stats { top }")
			}
		}
		stats = append(stats, "top "+top)
		if len(outs) > 0 {
			c.mark(hs, Carried, "querylog stats: bounded per-client counters (top talkers)")
		} else {
			c.mark(hs, NotCarried, "querylog's per-client statistics need query logging on: turn on querylog (querylog yes;) and convert again")
		}
	}
	if si := get("statistics-interval", c.options); si != nil && si.Arg(0) != "0" {
		stats = append(stats, "interval "+si.Arg(0)+"m")
		statsFrom = append(statsFrom, si.Pos)
		if len(outs) > 0 {
			c.mark(si, Carried, "querylog stats { interval }")
		} else {
			c.mark(si, NotCarried, "querylog's statistics need query logging on")
		}
	}
	if len(outs) > 0 && len(prom) > 0 {
		if len(stats) == 0 {
			stats = append(stats, "top 100")
		}
		statsFrom = append(statsFrom, promFrom...)
	}
	// query-errors: the failed queries, in querylog's form, to the
	// category's channels.
	var errOuts []string
	var errFrom []namedconf.Pos
	if qe, names := c.categoryChannels("query-errors"); qe != nil {
		for _, n := range names {
			ch := chs[n]
			if ch == nil {
				continue
			}
			if o := c.sink(ch, "output", "class error"); o != "" {
				errOuts = append(errOuts, o)
			}
			if ch.stmt != nil {
				c.mark(ch.stmt, Carried, "querylog output")
			}
		}
		errFrom = append(errFrom, qe.Pos)
		if len(errOuts) > 0 {
			c.mark(qe, Approx, "querylog with class error: the failed queries (SERVFAIL, REFUSED, ... and unanswered) in BIND's query line form, not BIND's query-errors lines")
		}
	}
	for i, b := range c.blocks {
		for _, o := range errOuts {
			b.add("querylog", sub("querylog", strings.Split(o, "\n")), errFrom...)
		}
		for j, o := range outs {
			lines := strings.Split(o, "\n")
			if j == 0 && len(stats) > 0 {
				st := append([]string(nil), stats...)
				if i == 0 && len(prom) > 0 {
					st = append(st, "listen "+prom[0], "allow "+promAllow[0])
				}
				lines = append(lines, "stats {")
				for _, l := range st {
					lines = append(lines, "    "+l)
				}
				lines = append(lines, "}")
				b.add("querylog", sub("querylog", lines), append(append([]namedconf.Pos(nil), from...), statsFrom...)...)
				continue
			}
			b.add("querylog", sub("querylog", lines), from...)
		}
		if len(prom) > 0 && len(outs) == 0 {
			b.add("prometheus", "prometheus "+prom[0], promFrom...)
		}
	}
	if lg := namedconf.Find(c.cfg.Statements, "logging"); lg != nil {
		for _, s := range lg.Body() {
			switch s.Name() {
			case "category":
				switch strings.ToLower(s.Arg(0)) {
				case "queries", "security":
				case "rate-limit":
					if len(c.marks[s]) == 0 {
						c.mark(s, NotCarried, "no rate-limit statement is carried, or its channels are not files, syslog or stderr")
					}
				case "query-errors":
					if len(c.marks[s]) == 0 {
						c.mark(s, NotCarried, "its channels are not files, syslog or stderr")
					}
				default:
					c.mark(s, NotCarried, "CoreDNS logs its own messages to stdout (errors and log plugins); route them with the service manager")
				}
			case "channel":
				if len(c.marks[s]) == 0 {
					c.mark(s, NotCarried, "used by no carried category")
				}
			}
		}
	}
}

func joinHP(addr, port string) string {
	if strings.Contains(addr, ":") {
		return fmt.Sprintf("[%s]:%s", addr, port)
	}
	return addr + ":" + port
}
