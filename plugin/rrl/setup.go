package rrl

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/corebind/corebind/plugin/pkg/logsink"
	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
)

const pluginName = "rrl"

var log = clog.NewWithPlugin(pluginName)

func init() { plugin.Register(pluginName, setup) }

func setup(c *caddy.Controller) error {
	cfg, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	exempt, err := cfg.compile()
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	h := &RRL{zones: cfg.zones, exempt: exempt, now: unixNow}
	var emit func(event)
	if cfg.log != nil {
		q, err := newLog(*cfg.log)
		if err != nil {
			return plugin.Error(pluginName, err)
		}
		h.log = q
		emit = func(ev event) { q.Enqueue(ev) }
	}
	h.lim = newLimiter(cfg.s, emit)

	c.OnStartup(func() error {
		if h.log != nil {
			if err := h.log.Start(); err != nil {
				return plugin.Error(pluginName, fmt.Errorf("log %s: %w", h.log.Output(), err))
			}
		}
		return nil
	})
	c.OnShutdown(func() error {
		h.lim.shutdown()
		if h.log != nil {
			return h.log.Stop()
		}
		return nil
	})
	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		h.Next = next
		return h
	})
	return nil
}

// config is a parsed rrl block.
type config struct {
	zones    []string
	s        settings
	env      *addrmatch.Env
	exempt   []string            // exempt-clients elements; nil: none
	exemptAt caddyfile.Dispenser // at the first exempt-clients line
	log      *logsink.Output     // nil: no rate-limit log
}

// compile builds the exempt-clients list (nil: none), errors naming its first line.
func (cfg *config) compile() (*addrmatch.List, error) {
	if cfg.exempt == nil {
		return nil, nil
	}
	l, err := cfg.env.Compile(cfg.exempt)
	if err != nil {
		return nil, cfg.exemptAt.Errf("exempt-clients: %v", err)
	}
	return l, nil
}

// The options that take one whole number, with BIND's limits.
var numeric = map[string]struct{ min, max int64 }{
	"responses-per-second": {0, maxRate},
	"referrals-per-second": {0, maxRate},
	"nodata-per-second":    {0, maxRate},
	"nxdomains-per-second": {0, maxRate},
	"errors-per-second":    {0, maxRate},
	"all-per-second":       {0, maxRate},
	"window":               {1, maxWindow},
	"slip":                 {0, maxSlip},
	"ipv4-prefix-length":   {8, 32},
	"ipv6-prefix-length":   {16, maxV6Prefix},
	"max-table-size":       {1, 1 << 28},
	"min-table-size":       {1, 1 << 28},
	"qps-scale":            {1, 1 << 30},
}

const optionList = "responses-per-second, referrals-per-second, nodata-per-second, nxdomains-per-second, errors-per-second, all-per-second, window, slip, ipv4-prefix-length, ipv6-prefix-length, exempt-clients, log-only, max-table-size, min-table-size, qps-scale, log, facility or tag"

func parse(c *caddy.Controller) (*config, error) {
	cfg := &config{s: defaultSettings(), env: &addrmatch.Env{}}
	var out logsink.Output
	optAt := c.Dispenser // the last facility or tag line
	root := dnsserver.GetConfig(c).Root
	blocks := 0
	for c.Next() {
		if blocks++; blocks > 1 {
			return nil, c.Errf("only one rrl per server block; merge the rrl blocks into one")
		}
		cfg.zones = plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), c.ServerBlockKeys)
		set := map[string]int64{}
		for c.NextBlock() {
			opt := c.Val()
			if lim, ok := numeric[opt]; ok {
				args := c.RemainingArgs()
				if len(args) != 1 {
					return nil, c.Errf("%s takes one whole number from %d to %d", opt, lim.min, lim.max)
				}
				if _, dup := set[opt]; dup {
					return nil, c.Errf("%s given twice", opt)
				}
				n, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil || n < lim.min || n > lim.max {
					return nil, c.Errf("%s %q: want a whole number from %d to %d", opt, args[0], lim.min, lim.max)
				}
				set[opt] = n
				continue
			}
			switch opt {
			case "exempt-clients":
				args := c.RemainingArgs()
				if len(args) == 0 {
					return nil, c.Errf("exempt-clients needs at least one address match list element, e.g. exempt-clients 192.0.2.0/24")
				}
				if cfg.exempt == nil {
					cfg.exemptAt = c.Dispenser
				}
				cfg.exempt = append(cfg.exempt, args...)
			case "log-only":
				args := c.RemainingArgs()
				on, ok := true, len(args) == 0
				if len(args) == 1 {
					on, ok = parseBool(args[0])
				}
				if !ok {
					return nil, c.Errf("log-only takes no argument, or yes or no")
				}
				cfg.s.logOnly = on
			case "log":
				if cfg.log != nil {
					return nil, c.Errf("log given twice")
				}
				args := c.RemainingArgs()
				if len(args) == 0 {
					args = []string{"stdout"}
				}
				if err := out.ParseOutput(args); err != nil {
					return nil, c.Errf("log: %v", err)
				}
				if out.Kind == logsink.File && !filepath.IsAbs(out.Path) && root != "" {
					out.Path = filepath.Join(root, out.Path)
				}
				cfg.log = &out
			case "facility", "tag":
				optAt = c.Dispenser
				if _, err := out.Option(opt, c.RemainingArgs()); err != nil {
					return nil, c.Errf("%v", err)
				}
			default:
				return nil, c.Errf("unknown option %q; want %s", opt, optionList)
			}
		}
		if err := cfg.apply(set); err != nil {
			return nil, c.Errf("%v", err)
		}
	}
	if err := out.Validate(); err != nil {
		return nil, optAt.Errf("%v", err)
	}
	if blocks == 0 {
		return nil, c.Errf("no rrl block")
	}
	return cfg, nil
}

// apply fills settings with BIND's defaults: class rates default to
// responses-per-second, table bounds to 500 and max(20000, min-table-size).
func (cfg *config) apply(set map[string]int64) error {
	s := &cfg.s
	get := func(name string, def int64) int64 {
		if v, ok := set[name]; ok {
			return v
		}
		return def
	}
	rps := get("responses-per-second", 0)
	s.rates[classResponse] = int32(rps)
	s.rates[classReferral] = int32(get("referrals-per-second", rps))
	s.rates[classNodata] = int32(get("nodata-per-second", rps))
	s.rates[classNxdomain] = int32(get("nxdomains-per-second", rps))
	s.rates[classError] = int32(get("errors-per-second", rps))
	s.rates[classAll] = int32(get("all-per-second", 0))
	s.window = int32(get("window", 15))
	s.slip = int32(get("slip", 2))
	s.v4bits = int(get("ipv4-prefix-length", 24))
	s.v6bits = int(get("ipv6-prefix-length", 56))
	s.qpsScale = int32(get("qps-scale", 0))
	s.minSize = int(get("min-table-size", defaultMinSize))
	s.maxSize = int(get("max-table-size", max(defaultMaxSize, int64(s.minSize))))
	if s.maxSize < s.minSize {
		return fmt.Errorf("max-table-size %d < min-table-size %d; raise max-table-size or lower min-table-size", s.maxSize, s.minSize)
	}
	return nil
}

// parseBool reads BIND's yes/no (true/false too), in any case.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "yes", "true":
		return true, true
	case "no", "false":
		return false, true
	}
	return false, false
}
