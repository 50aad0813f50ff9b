package querylog

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/corebind/corebind/plugin/pkg/logsink"
	"github.com/corebind/corebind/plugin/pkg/serverlabel"
	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/response"
)

const pluginName = "querylog"

func init() { plugin.Register(pluginName, setup) }

// Limits of the numeric options, so that a typo cannot ask for gigabytes.
const (
	maxBuffer = 1 << 20
	maxTop    = 1 << 20
	maxNames  = 1 << 17
	// maxDirectives is the number of querylog directives a server block may
	// have (one bit each in the query path's mask).
	maxDirectives = 64
)

func setup(c *caddy.Controller) error {
	loggers, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	h, err := newQuerylog(loggers)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	cfg := dnsserver.GetConfig(c)

	// A reload runs old OnRestart, new OnStartup, old OnShutdown: the HTTP
	// listener is released in OnRestart (taken back if the reload fails).
	c.OnStartup(func() error { return h.startup(serverlabel.First(cfg)) })
	c.OnRestart(h.releaseHTTP)
	c.OnRestartFailed(h.retakeHTTP)
	c.OnShutdown(h.shutdown)

	cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
		h.Next = next
		return h
	})
	return nil
}

// newQuerylog makes the handler of a server block's directives.
func newQuerylog(loggers []*logger) (*Querylog, error) {
	h := &Querylog{loggers: loggers}
	for _, l := range loggers {
		h.classify = h.classify || l.classes != 0
		q, err := l.newQueue()
		if err != nil {
			return nil, err
		}
		l.queue = q
	}
	return h, nil
}

// startup starts writers and stats listeners (OnStartup); label is the server label.
func (h *Querylog) startup(label string) error {
	for _, l := range h.loggers {
		l.label = label
		err := l.queue.Start()
		if err != nil {
			err = fmt.Errorf("output %s: %w", l.output, err)
		} else if l.http != nil {
			if err = l.http.start(); err != nil {
				err = fmt.Errorf("stats listen %s: %w", l.listen, err)
			}
		}
		if err != nil {
			h.shutdown() // what did start: a failed reload must leak nothing
			return plugin.Error(pluginName, err)
		}
	}
	return nil
}

// releaseHTTP closes the statistics listeners (OnRestart).
func (h *Querylog) releaseHTTP() error {
	for _, l := range h.loggers {
		if l.http != nil {
			l.http.stop()
		}
	}
	return nil
}

// retakeHTTP opens them again after a failed reload (OnRestartFailed).
func (h *Querylog) retakeHTTP() error {
	for _, l := range h.loggers {
		if l.http != nil {
			if err := l.http.start(); err != nil {
				log.Errorf("stats listen %s: %v", l.listen, err)
			}
		}
	}
	return nil
}

// shutdown drains and closes every output and listener (OnShutdown).
func (h *Querylog) shutdown() error {
	var errs []error
	for _, l := range h.loggers {
		if l.http != nil {
			l.http.stop()
		}
		if err := l.queue.Stop(); err != nil {
			errs = append(errs, plugin.Error(pluginName, err))
		}
		l.publishTracked(0) // the writer has stopped: no race
	}
	return errors.Join(errs...)
}

// parse reads every querylog directive of the server block.
func parse(c *caddy.Controller) ([]*logger, error) {
	var loggers []*logger
	blockZones := plugin.OriginsFromArgsOrServerBlock(nil, c.ServerBlockKeys)
	for i := range blockZones {
		blockZones[i] = strings.ToLower(blockZones[i])
	}
	listens := map[string]bool{}
	for c.Next() {
		l, err := parseDirective(c)
		if err != nil {
			return nil, err
		}
		l.blockZones = blockZones
		if l.listen != "" {
			if listens[l.listen] {
				return nil, c.Errf("stats listen %s is already used by another querylog directive of this server block", l.listen)
			}
			listens[l.listen] = true
		}
		loggers = append(loggers, l)
		if len(loggers) > maxDirectives {
			return nil, c.Errf("more than %d querylog directives in one server block", maxDirectives)
		}
	}
	return loggers, nil
}

func parseDirective(c *caddy.Controller) (*logger, error) {
	l := &logger{format: formatBIND, buffer: logsink.DefaultSize}
	l.zones = plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), c.ServerBlockKeys)
	for i := range l.zones {
		l.zones[i] = strings.ToLower(l.zones[i])
	}
	var (
		clients   []string
		seen      = map[string]bool{}
		optAt     = c.Dispenser // the last facility or tag line
		clientsAt caddyfile.Dispenser
	)
	for c.NextBlock() {
		opt := c.Val()
		if seen[opt] && opt != "class" && opt != "clients" { // the two that add up
			return nil, c.Errf("%s given twice", opt)
		}
		seen[opt] = true
		var err error
		switch opt {
		case "output", "facility", "tag":
			if opt != "output" {
				optAt = c.Dispenser
			}
			if _, err = l.output.Option(opt, c.RemainingArgs()); err != nil {
				return nil, c.Err(err.Error())
			}
		case "format":
			args := c.RemainingArgs()
			if len(args) != 1 {
				return nil, c.Errf("format needs one of bind, json")
			}
			switch args[0] {
			case "bind":
				l.format = formatBIND
			case "json":
				l.format = formatJSON
			default:
				return nil, c.Errf("unknown format %q: want bind or json", args[0])
			}
		case "class":
			args := c.RemainingArgs()
			if len(args) == 0 {
				return nil, c.Errf("class needs one or more of success, denial, error, all")
			}
			for _, a := range args {
				cls, err := response.ClassFromString(a)
				if err != nil {
					return nil, c.Errf("unknown class %q: want success, denial, error or all", a)
				}
				l.classes |= 1 << cls
			}
		case "clients":
			args := c.RemainingArgs()
			if len(args) == 0 {
				return nil, c.Errf("clients needs address match list elements, e.g. 192.0.2.0/24 !192.0.2.1 any")
			}
			if clients == nil {
				clientsAt = c.Dispenser
			}
			clients = append(clients, args...)
		case "responses":
			if args := c.RemainingArgs(); len(args) != 0 {
				return nil, c.Errf("responses takes no argument, got %q", strings.Join(args, " "))
			}
			l.responses = true
		case "buffer":
			l.buffer, err = intArg(c, "buffer", 1, maxBuffer)
		case "stats":
			err = parseStats(c, l)
		case "mask":
			l.mask, err = parseMask(c)
		case "sample":
			var n int
			n, err = intArg(c, "sample", 1, maxSample)
			l.sample = uint32(n)
		default:
			return nil, c.Errf("unknown property %q", opt)
		}
		if err != nil {
			return nil, err
		}
	}
	if l.classes&(1<<response.All) != 0 {
		l.classes = 0 // the empty set: every class
	}
	if err := l.output.Validate(); err != nil {
		return nil, optAt.Err(err.Error())
	}
	if clients != nil {
		var err error
		if l.clients, err = new(addrmatch.Env).Compile(clients); err != nil {
			return nil, clientsAt.Errf("parsing clients %v", err)
		}
	}
	return l, nil
}

// parseStats reads "stats" and its optional block. The block is walked by
// hand: the dispenser's NextBlock does not nest.
func parseStats(c *caddy.Controller, l *logger) error {
	l.top, l.names = defaultTop, defaultNames
	if args := c.RemainingArgs(); len(args) != 0 {
		return c.Errf("stats takes no argument, only a block: stats { top N names N interval DURATION listen ADDRESS allow ELEMENT... }")
	}
	var allow []string
	if c.NextArg() { // the "{" RemainingArgs stopped at
		seen := map[string]bool{}
		for {
			if !c.Next() {
				return c.Err("stats block is not closed with '}'")
			}
			opt := c.Val()
			if opt == "}" {
				break
			}
			if seen[opt] {
				return c.Errf("stats %s given twice", opt)
			}
			seen[opt] = true
			var err error
			switch opt {
			case "top":
				l.top, err = intArg(c, "top", 1, maxTop)
			case "names":
				l.names, err = intArg(c, "names", 1, maxNames)
			case "interval":
				l.interval, err = durationArg(c)
			case "listen":
				l.listen, err = listenArg(c)
			case "allow":
				if allow = c.RemainingArgs(); len(allow) == 0 {
					err = c.Err("allow needs address match list elements, e.g. allow 127.0.0.1 192.0.2.0/24")
				}
			default:
				return c.Errf("unknown stats property %q: want top, names, interval, listen or allow", opt)
			}
			if err != nil {
				return err
			}
		}
	}
	l.stats = newStats(l.top, l.names, time.Now())
	if allow != nil && l.listen == "" {
		return c.Err("stats allow needs listen: it says who may use the HTTP listener")
	}
	if l.listen != "" {
		list, err := compileAllow(c, allow)
		if err != nil {
			return err
		}
		l.http = &statsServer{addr: l.listen, stats: l.stats, allow: list}
	}
	return nil
}

func intArg(c *caddy.Controller, opt string, lo, hi int) (int, error) {
	args := c.RemainingArgs()
	if len(args) != 1 {
		return 0, c.Errf("%s needs one number", opt)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < lo || n > hi {
		return 0, c.Errf("%s %q: want a number from %d to %d", opt, args[0], lo, hi)
	}
	return n, nil
}

func durationArg(c *caddy.Controller) (time.Duration, error) {
	args := c.RemainingArgs()
	if len(args) != 1 {
		return 0, c.Errf("interval needs one duration, e.g. 1h or 10m")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil || d < time.Second {
		return 0, c.Errf("interval %q: want a duration of 1s or more, e.g. 1h or 10m", args[0])
	}
	return d, nil
}

func listenArg(c *caddy.Controller) (string, error) {
	args := c.RemainingArgs()
	if len(args) != 1 {
		return "", c.Errf("listen needs one ADDRESS, e.g. 127.0.0.1:9154")
	}
	_, port, err := net.SplitHostPort(args[0])
	if err != nil {
		return "", c.Errf("listen %q: %v (want HOST:PORT, e.g. 127.0.0.1:9154)", args[0], err)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return "", c.Errf("listen %q: bad port %q", args[0], port)
	}
	return args[0], nil
}
