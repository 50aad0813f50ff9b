package convert

import (
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
)

// rrlOptions are the rate-limit options corebind's rrl plugin takes under
// BIND's names and with BIND's ranges (plugin/rrl/README.md), written as
// BIND wrote them.
var rrlOptions = set("responses-per-second", "referrals-per-second", "nodata-per-second",
	"nxdomains-per-second", "errors-per-second", "all-per-second", "window", "slip",
	"qps-scale", "ipv4-prefix-length", "ipv6-prefix-length", "log-only", "max-table-size",
	"min-table-size")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// rateLimit carries rate-limit (the view's, else the options') into rrl,
// option for option; exempt-clients with its acls and nested lists
// inlined, as rrl takes BIND's elements but no acl names; the rate-limit
// logging category's first file, syslog or stderr channel as rrl's log.
func (c *converter) rateLimit(b *serverBlock, vbody []*namedconf.Statement) {
	rl := get("rate-limit", vbody, c.options)
	if rl == nil {
		return
	}
	var lines, left []string // left: what is not carried as BIND has it
	for _, s := range rl.Body() {
		switch {
		case s.Name() == "exempt-clients":
			list, bad := c.parseList(s.Body())
			var approx []string
			el := c.plainElements(list, map[string]bool{}, &approx, nil)
			if len(el) > 0 {
				lines = append(lines, "exempt-clients "+strings.Join(el, " "))
			}
			if approx = append(approx, bad...); len(approx) > 0 {
				left = append(left, "exempt-clients: "+strings.Join(dedupe(approx), "; "))
			}
		case rrlOptions[s.Name()]:
			lines = append(lines, s.String())
		default:
			left = append(left, s.Name()+": rrl has no such option")
		}
	}
	from := []namedconf.Pos{rl.Pos}
	if l := c.categoryLog("rate-limit"); l != "" {
		lines = append(lines, strings.Split(l, "\n")...)
		cat, names := c.categoryChannels("rate-limit")
		from = append(from, cat.Pos)
		c.markCategoryLog(cat, names, "rrl log", "BIND's rate-limit lines")
	}
	b.add("rrl", sub("rrl", lines), from...)
	if len(left) > 0 {
		c.mark(rl, Approx, "rrl; "+strings.Join(left, "; "))
	} else {
		c.mark(rl, Carried, "rrl")
	}
}
