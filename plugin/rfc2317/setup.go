package rfc2317

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

const pluginName = "rfc2317"

var log = clog.NewWithPlugin(pluginName)

func init() { plugin.Register(pluginName, setup) }

func setup(c *caddy.Controller) error {
	cfg, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	co := newCore(cfg)
	config := dnsserver.GetConfig(c)
	// One handler per server-block key (CoreDNS builds a chain for each),
	// all sharing the configuration and the zone watcher.
	config.AddPlugin(func(next plugin.Handler) plugin.Handler { return &RFC2317{Next: next, core: co} })

	c.OnStartup(func() error {
		co.watch.start(transferersAfterUs(config))
		return nil
	})
	c.OnShutdown(func() error {
		co.watch.stop()
		return nil
	})
	return nil
}

// config is a parsed rfc2317 block.
type config struct {
	zones  []string
	blocks []*block
	ttl    uint32
	ttlSet bool
}

// pending is a label or addresses line, applied once every block is known.
type pending struct {
	line   int
	prefix netip.Prefix
	value  string
}

func parse(c *caddy.Controller) (*config, error) {
	cfg := &config{}
	var (
		labels, addresses []pending
		style             Style
		styleSet          bool
	)
	for i := 0; c.Next(); i++ {
		if i > 0 {
			return nil, c.Err("rfc2317 appears twice in this server block; put every delegate and child line in one rfc2317 block")
		}
		cfg.zones = plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), c.ServerBlockKeys)
		for c.NextBlock() {
			dir, args := c.Val(), c.RemainingArgs()
			switch dir {
			case "delegate":
				if len(args) < 2 {
					return nil, c.Err("delegate needs a block and at least one name server, e.g. delegate 192.0.2.0/29 ns1.example.net.")
				}
				b, err := parseBlock(c, dir, args[0], cfg)
				if err != nil {
					return nil, err
				}
				for _, a := range args[1:] {
					ns, err := parseNameServer(a)
					if err != nil {
						return nil, c.Errf("delegate %s: %v", args[0], err)
					}
					if !slices.Contains(b.ns, ns) {
						b.ns = append(b.ns, ns)
					}
				}
			case "child":
				if len(args) < 1 || len(args) > 2 {
					return nil, c.Err("child needs a block and optionally its label, e.g. child 192.0.2.0/29 or child 192.0.2.0/29 0-7")
				}
				b, err := parseBlock(c, dir, args[0], cfg)
				if err != nil {
					return nil, err
				}
				b.child = true
				if len(args) == 2 {
					if err := checkLabel(args[1]); err != nil {
						return nil, c.Errf("child %s: %v", args[0], err)
					}
					b.label = args[1]
				}
			case "label", "addresses":
				if len(args) != 2 {
					if dir == "label" {
						return nil, c.Err("label needs a block and its child zone label, e.g. label 192.0.2.0/29 0-7")
					}
					return nil, c.Err("addresses needs a block and a range of last octets, e.g. addresses 192.0.2.0/29 1-6")
				}
				p, err := parsePrefix(args[0])
				if err != nil {
					return nil, c.Errf("%s %v", dir, err)
				}
				if dir == "label" {
					if err := checkLabel(args[1]); err != nil {
						return nil, c.Errf("label %s: %v", args[0], err)
					}
					labels = append(labels, pending{c.Line(), p, args[1]})
				} else {
					addresses = append(addresses, pending{c.Line(), p, args[1]})
				}
			case "style":
				if len(args) != 1 {
					return nil, c.Err("style needs one of slash, dash or range")
				}
				if styleSet {
					return nil, c.Err("style is given twice")
				}
				s := slices.Index(styleNames[:], args[0])
				if s < 0 {
					return nil, c.Errf("style %q is unknown; use slash (0/29), dash (0-29) or range (0-7)", args[0])
				}
				style, styleSet = Style(s), true
			case "ttl":
				if len(args) != 1 {
					return nil, c.Err("ttl needs a number of seconds, e.g. ttl 3600")
				}
				if cfg.ttlSet {
					return nil, c.Err("ttl is given twice")
				}
				ttl, err := strconv.ParseUint(args[0], 10, 32)
				if err != nil || ttl > 1<<31-1 {
					return nil, c.Errf("ttl %q is not a number of seconds from 0 to 2147483647", args[0])
				}
				cfg.ttl, cfg.ttlSet = uint32(ttl), true
			default:
				return nil, c.Errf("unknown property %q; rfc2317 takes delegate, label, addresses, style, ttl and child", dir)
			}
		}
	}
	if len(cfg.blocks) == 0 {
		return nil, c.Err("rfc2317 needs at least one delegate line (parent side) or child line (customer side)")
	}

	for _, a := range addresses {
		b := blockAt(cfg.blocks, a.prefix)
		if b == nil {
			return nil, errAt(c, a.line, "addresses %s: no delegate or child line has this block", a.prefix)
		}
		first, last, err := parseRange(a.value, b)
		if err != nil {
			return nil, errAt(c, a.line, "addresses %s: %v", a.prefix, err)
		}
		b.first, b.last = first, last
	}
	for _, l := range labels {
		b := blockAt(cfg.blocks, l.prefix)
		if b == nil {
			return nil, errAt(c, l.line, "label %s: no delegate or child line has this block", l.prefix)
		}
		if b.label != "" {
			return nil, errAt(c, l.line, "label %s: the block already has the label %q", l.prefix, b.label)
		}
		b.label = l.value
	}
	zones := map[string]*block{}
	for _, b := range cfg.blocks {
		if b.label == "" {
			b.label = b.defaultLabel(style)
		}
		b.finish(b.label)
		if err := checkZones(c, b, cfg.zones); err != nil {
			return nil, err
		}
		if o := zones[b.zone]; o != nil {
			return nil, errAt(c, b.line, "%s %s: its child zone %s is also the child zone of %s (line %d); give one of them another label", b.side(), b.prefix, b.zone, o.prefix, o.line)
		}
		zones[b.zone] = b
	}
	return cfg, nil
}

// parseBlock parses and checks the block of a delegate or child line and adds it to cfg.
func parseBlock(c *caddy.Controller, dir, s string, cfg *config) (*block, error) {
	p, err := parsePrefix(s)
	if err != nil {
		return nil, c.Errf("%s %v", dir, err)
	}
	b := newBlock(p)
	b.line = c.Line()
	for _, o := range cfg.blocks {
		if o.prefix.Overlaps(p) {
			return nil, c.Errf("%s %s overlaps %s %s (line %d): blocks must not overlap, and a classless delegation is never chained through another (RFC 2317 §5.3)", dir, p, o.side(), o.prefix, o.line)
		}
	}
	cfg.blocks = append(cfg.blocks, b)
	return b, nil
}

// checkZones makes sure every name b answers reaches this server block.
func checkZones(c *caddy.Controller, b *block, zones []string) error {
	names := b.owners
	if !b.child {
		names = append(slices.Clip(names), b.zone)
	}
	for _, n := range names {
		if plugin.Zones(zones).Matches(n) != "" {
			continue
		}
		if b.child {
			return errAt(c, b.line, "child %s: %s is outside this server block's zones (%s), so its queries never reach rfc2317; add %s (or %s) to the server block's keys",
				b.prefix, n, strings.Join(zones, " "), b.prefix, strings.TrimSuffix(b.rev24, "."))
		}
		return errAt(c, b.line, "delegate %s: %s is outside this server block's zones (%s); put rfc2317 in the server block of the reverse zone that holds the block",
			b.prefix, n, strings.Join(zones, " "))
	}
	return nil
}

// parsePrefix parses an IPv4 block of /25 to /32 that starts on its boundary.
func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("%q is not a block such as 192.0.2.0/29", s)
	}
	if !p.Addr().Is4() {
		return p, fmt.Errorf("%s is IPv6: ip6.arpa delegates on nibble boundaries, so IPv6 needs no classless delegation; use ordinary NS records", s)
	}
	if p.Bits() <= 24 {
		return p, fmt.Errorf("%s is a /%d: delegation at an octet boundary is ordinary delegation, NS records for the whole reverse zone in the parent zone; rfc2317 is for blocks of /25 to /32", s, p.Bits())
	}
	if p.Masked() != p {
		return p, fmt.Errorf("%s is not the start of its block; the block holding it is %s", s, p.Masked())
	}
	return p, nil
}

// parseNameServer checks a fully qualified host name (Corefile names are absolute).
func parseNameServer(s string) (string, error) {
	if _, err := netip.ParseAddr(s); err == nil {
		return "", fmt.Errorf("name server %q is an address; NS records hold names, give the server's name (e.g. ns1.example.net.)", s)
	}
	n := strings.ToLower(dns.Fqdn(s))
	if _, ok := dns.IsDomainName(n); !ok || n == "." {
		return "", fmt.Errorf("name server %q is not a valid domain name", s)
	}
	for _, l := range dns.SplitDomainName(n) {
		if err := hostLabel(l); err != nil {
			return "", fmt.Errorf("name server %q is not a valid host name: %v", s, err)
		}
	}
	return n, nil
}

// hostLabel checks one label of a host name (RFC 952/1123: letters, digits
// and '-', not at either end), what BIND's check-names asks of NS targets.
func hostLabel(l string) error {
	if len(l) > 63 {
		return fmt.Errorf("label %q is longer than 63 octets", l)
	}
	if strings.ContainsFunc(l, func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') }) {
		return fmt.Errorf("label %q may hold only letters, digits and '-'", l)
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return fmt.Errorf("label %q starts or ends with '-'", l)
	}
	return nil
}

// parseRange parses FIRST-LAST, last-octet values inside b.
func parseRange(s string, b *block) (uint8, uint8, error) {
	lo, hi, ok := strings.Cut(s, "-")
	first, ok1 := parseOctet(lo)
	last, ok2 := parseOctet(hi)
	if !ok || !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("%q is not a range of last octets such as %d-%d", s, b.first, b.last)
	}
	if first > last {
		return 0, 0, fmt.Errorf("%q runs backwards; write %d-%d", s, last, first)
	}
	if first < b.first || last > b.last {
		return 0, 0, fmt.Errorf("%q reaches outside the block, whose last octets are %d-%d", s, b.first, b.last)
	}
	return first, last, nil
}

func blockAt(blocks []*block, p netip.Prefix) *block {
	for _, b := range blocks {
		if b.prefix == p {
			return b
		}
	}
	return nil
}

// errAt is c.Errf for a line read earlier, in CoreDNS's format.
func errAt(c *caddy.Controller, line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d - Error during parsing: %s", c.File(), line, fmt.Sprintf(format, args...))
}

// transferersAfterUs returns the zone plugins after rfc2317 in the block: the zones beside it.
func transferersAfterUs(config *dnsserver.Config) []transfer.Transferer {
	var out []transfer.Transferer
	after := false
	for _, h := range config.Handlers() {
		if h.Name() == pluginName {
			after = true
			continue
		}
		if t, ok := h.(transfer.Transferer); ok && after {
			out = append(out, t)
		}
	}
	return out
}
