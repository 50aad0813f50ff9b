package convert

import (
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
)

// rrlPlugin says whether corebind's build has the rrl plugin. It is being
// written with BIND's option names (rrl [ZONES...] { responses-per-second N
// ... }); when it lands in plugin.cfg, set this to true and rate-limit is
// carried option for option.
const rrlPlugin = false

// rrlOptions are the rate-limit options the rrl plugin takes under BIND's
// names.
var rrlOptions = set("responses-per-second", "referrals-per-second", "nodata-per-second",
	"nxdomains-per-second", "errors-per-second", "all-per-second", "window", "slip",
	"qps-scale", "ipv4-prefix-length", "ipv6-prefix-length", "log-only", "max-table-size",
	"min-table-size", "exempt-clients")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// rateLimit carries rate-limit into rrl when the build has it; until then
// the report says it is not carried (see known).
func (c *converter) rateLimit(b *serverBlock, vbody []*namedconf.Statement) {
	rl := get("rate-limit", vbody, c.options)
	if rl == nil || !rrlPlugin {
		return
	}
	var lines, left []string
	for _, s := range rl.Body() {
		if !rrlOptions[s.Name()] {
			left = append(left, s.Name())
			continue
		}
		if s.Name() == "exempt-clients" {
			var el []string
			for _, e := range s.Body() {
				el = append(el, strings.TrimSuffix(e.String(), ";"))
			}
			lines = append(lines, "exempt-clients "+strings.Join(el, " "))
			continue
		}
		lines = append(lines, s.String())
	}
	b.add("rrl", sub("rrl", lines), rl.Pos)
	if len(left) > 0 {
		c.mark(rl, Approx, "rrl; left out: "+strings.Join(left, ", "))
	} else {
		c.mark(rl, Carried, "rrl")
	}
}
