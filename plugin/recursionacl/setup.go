package recursionacl

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/corebind/corebind/plugin/pkg/logsink"
	"github.com/corebind/corebind/plugin/pkg/serverlabel"
	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
)

const pluginName = "recursionacl"

var log = clog.NewWithPlugin(pluginName)

func init() { plugin.Register(pluginName, setup) }

func setup(c *caddy.Controller) error {
	cfg, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	h := &RecursionACL{zones: newZoneSet(cfg.zones), drop: cfg.drop}
	if cfg.log != nil {
		if h.denials, err = newDenialLog(*cfg.log, cfg.logRate, cfg.logBurst); err != nil {
			return plugin.Error(pluginName, err)
		}
	}
	w := newWatcher(cfg, h) // stats the allow-files before they are read: no change is missed
	list, err := cfg.compile()
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	h.allow.Store(list)

	if cfg.auth != nil {
		h.auth = newZoneSet(cfg.auth)
	}
	servers := blockConfigs(c)
	h.cfg = servers[0]
	addPending(c, h) // for the parsing callbacks that place the barriers (wiring.go)

	c.OnStartup(func() error {
		if err := h.checkWiring(); err != nil {
			return plugin.Error(pluginName, err)
		}
		h.labels = serverlabel.All(servers)
		h.setEntries(h.allow.Load().Len())
		if h.denials != nil {
			if err := h.denials.q.Start(); err != nil {
				return plugin.Error(pluginName, fmt.Errorf("log %s: %w", h.denials.q.Output(), err))
			}
		}
		w.start()
		return nil
	})
	c.OnShutdown(func() error {
		w.stop()
		if h.denials != nil {
			return h.denials.q.Stop()
		}
		return nil
	})

	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		h.Next = next
		return h
	})
	return nil
}

// blockConfigs returns the configs of every key of the block (setup runs for the first).
func blockConfigs(c *caddy.Controller) []*dnsserver.Config {
	cfgs := []*dnsserver.Config{dnsserver.GetConfig(c)}
	for i := 1; i < len(c.ServerBlockKeys); i++ {
		k := *c
		k.ServerBlockKeyIndex = i
		cfgs = append(cfgs, dnsserver.GetConfig(&k))
	}
	return cfgs
}

// config is a parsed recursionacl block.
type config struct {
	zones  []string
	env    *addrmatch.Env
	acls   []allowLine // acl lines, checked in the order written
	allow  []allowLine // allow and allow-file lines, in the order written
	auth   []string    // authoritative zones; nil: detect
	drop   bool
	reload time.Duration // allow-file check interval; 0: never

	log               *logsink.Output // nil: no denial log
	logRate, logBurst float64
}

// allowLine is an acl, allow or allow-file line, with the parser at it for
// errors found later (acls used before definition, allow-file rereads).
type allowLine struct {
	at     caddyfile.Dispenser
	name   string
	tokens []string
	path   string
}

// defaultAllow is BIND's default allow-recursion.
var defaultAllow = []string{"localhost", "localnets"}

// The allow-file check interval: default, and least but 0 (never).
const (
	defaultReload = 5 * time.Second
	minReload     = 10 * time.Millisecond
)

func parse(c *caddy.Controller) (*config, error) {
	cfg := &config{env: &addrmatch.Env{}, reload: defaultReload, logRate: defaultLogRate, logBurst: defaultLogBurst}
	var out logsink.Output
	optAt := c.Dispenser // the last facility or tag line; they may come before log
	root := dnsserver.GetConfig(c).Root
	blocks := 0
	for c.Next() {
		if blocks++; blocks > 1 {
			return nil, c.Errf("only one recursionacl per server block; merge the recursionacl blocks into one")
		}
		cfg.zones = plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), c.ServerBlockKeys)
		for c.NextBlock() {
			here := allowLine{at: c.Dispenser}
			opt := c.Val()
			args := c.RemainingArgs()
			switch opt {
			case "acl":
				if len(args) < 2 {
					return nil, c.Errf("acl needs a name and at least one element, e.g. acl trusted 192.0.2.0/24")
				}
				if err := cfg.env.Define(args[0], args[1:]); err != nil {
					return nil, c.Errf("%v", err)
				}
				here.name = args[0]
				here.tokens = args[1:]
				cfg.acls = append(cfg.acls, here)
			case "allow":
				if len(args) == 0 {
					return nil, c.Errf("allow needs at least one element, e.g. allow 192.0.2.0/24 (none allows nobody)")
				}
				here.tokens = args
				cfg.allow = append(cfg.allow, here)
			case "allow-file":
				if len(args) != 1 {
					return nil, c.Errf("allow-file needs exactly one path")
				}
				path := args[0]
				if !filepath.IsAbs(path) && root != "" {
					path = filepath.Join(root, path)
				}
				here.path = path
				cfg.allow = append(cfg.allow, here)
			case "authoritative":
				if len(args) == 0 {
					return nil, c.Errf("authoritative needs at least one zone")
				}
				for _, z := range args {
					norm := plugin.Host(z).NormalizeExact()
					if len(norm) == 0 {
						return nil, c.Errf("authoritative: %q is not a zone name or CIDR", z)
					}
					cfg.auth = append(cfg.auth, norm...)
				}
			case "deny":
				if len(args) != 1 || (args[0] != "refuse" && args[0] != "drop") {
					return nil, c.Errf("deny takes refuse or drop")
				}
				cfg.drop = args[0] == "drop"
			case "reload":
				if len(args) != 1 {
					return nil, c.Errf("reload takes one duration, e.g. reload 5s (0 turns checking off)")
				}
				d, err := time.ParseDuration(args[0])
				if err != nil || d != 0 && d < minReload {
					return nil, c.Errf("reload %q: want a duration of at least %v, such as 5s, or 0", args[0], minReload)
				}
				cfg.reload = d
			case "log":
				if cfg.log != nil {
					return nil, c.Errf("log given twice")
				}
				if len(args) == 0 {
					args = []string{"stdout"}
				}
				if err := out.ParseOutput(args); err != nil {
					return nil, c.Errf("log: %v", err)
				}
				cfg.log = &out
			case "facility", "tag":
				optAt = c.Dispenser
				if _, err := out.Option(opt, args); err != nil {
					return nil, c.Errf("%v", err)
				}
			case "log-rate":
				if len(args) < 1 || len(args) > 2 {
					return nil, c.Errf("log-rate takes a rate per client per second and an optional burst, e.g. log-rate 1 5")
				}
				rate, err := strconv.ParseFloat(args[0], 64)
				if err != nil || !(rate > 0) || math.IsInf(rate, 0) {
					return nil, c.Errf("log-rate %q: want a number of lines per second above 0, e.g. 1 or 0.1", args[0])
				}
				cfg.logRate, cfg.logBurst = rate, max(1, math.Ceil(rate))
				if len(args) == 2 {
					burst, err := strconv.ParseUint(args[1], 10, 31)
					if err != nil || burst == 0 {
						return nil, c.Errf("log-rate burst %q: want a whole number of lines above 0", args[1])
					}
					cfg.logBurst = float64(burst)
				}
			default:
				return nil, c.Errf("unknown option %q; want acl, allow, allow-file, authoritative, deny, log, log-rate, facility, tag or reload", opt)
			}
		}
	}
	if err := out.Validate(); err != nil {
		return nil, optAt.Errf("%v", err)
	}
	return cfg, nil
}
