package stubzones

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/corebind/corebind/plugin/pkg/serverlabel"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/miekg/dns"
)

const pluginName = "stubzones"

var log = clog.NewWithPlugin(pluginName)

// Defaults in the spirit of BIND's min-refresh-time and max-refresh-time.
const (
	defaultRefreshMin = 5 * time.Minute
	defaultRefreshMax = 4 * 7 * 24 * time.Hour
	defaultMaxDepth   = 8
	maxMaxDepth       = 30
)

func init() { plugin.Register(pluginName, setup) }

func setup(c *caddy.Controller) error {
	cfg := dnsserver.GetConfig(c)
	s, err := parse(c, cfg)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	// The server answers NOTIFY by default already; say so explicitly, as
	// the opcode is part of what this plugin serves.
	cfg.AllowOpcode(dns.OpcodeNotify)

	c.OnStartup(func() error { return s.OnStartup(serverlabel.First(cfg)) })
	c.OnShutdown(s.OnShutdown)

	cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
		s.Next = next
		return s
	})
	return nil
}

// parse reads every stubzones directive of a block, each with its zones and options.
func parse(c *caddy.Controller, cfg *dnsserver.Config) (*Stubzones, error) {
	s := New()
	for c.Next() {
		opts := &options{
			refreshMin: defaultRefreshMin,
			refreshMax: defaultRefreshMax,
			maxDepth:   defaultMaxDepth,
			port:       53,
		}
		names, err := zoneArgs(c)
		if err != nil {
			return nil, err
		}
		for c.NextBlock() {
			if err := parseOption(c, cfg, opts); err != nil {
				return nil, err
			}
		}
		if len(opts.primaries) == 0 {
			return nil, c.Err("no primaries: add `primaries ADDRESS...` inside the stubzones block")
		}
		if opts.refreshMin > opts.refreshMax {
			return nil, c.Errf("refresh-min %s is above refresh-max %s", opts.refreshMin, opts.refreshMax)
		}
		for _, name := range names {
			if err := s.addZone(name, opts); err != nil {
				return nil, c.Err(err.Error())
			}
		}
	}
	return s, nil
}

// zoneArgs returns the directive's zones, or the server block's, lower case
// and fully qualified.
func zoneArgs(c *caddy.Controller) ([]string, error) {
	args := c.RemainingArgs()
	for _, a := range args {
		if len(plugin.Host(a).NormalizeExact()) == 0 {
			return nil, c.Errf("zone %q is not a valid domain name or reverse CIDR", a)
		}
	}
	names := plugin.OriginsFromArgsOrServerBlock(args, c.ServerBlockKeys)
	for i, name := range names {
		names[i] = strings.ToLower(dns.Fqdn(name))
	}
	return names, nil
}

func parseOption(c *caddy.Controller, cfg *dnsserver.Config, o *options) error {
	opt := c.Val()
	args := c.RemainingArgs()
	switch opt {
	case "primaries":
		if len(args) == 0 {
			return c.Err("primaries needs at least one address: primaries 127.0.0.1 [::1]:5353")
		}
		for _, a := range args {
			ap, err := parsePrimary(a)
			if err != nil {
				return c.Errf("primaries: %v", err)
			}
			o.primaries = append(o.primaries, ap)
		}
	case "dir":
		if len(args) != 1 {
			return c.Err("dir takes one path: dir /var/lib/coredns/stubzones")
		}
		dir := args[0]
		if !filepath.IsAbs(dir) && cfg.Root != "" {
			dir = filepath.Join(cfg.Root, dir)
		}
		if err := checkDirPath(dir); err != nil {
			return c.Err(err.Error())
		}
		o.dir = dir
	case "tsig":
		key, err := parseTSIG(args, cfg)
		if err != nil {
			return c.Errf("tsig: %v", err)
		}
		o.tsig = key
	case "refresh-min", "refresh-max":
		if len(args) != 1 {
			return c.Errf("%s takes one duration, such as 5m or 300", opt)
		}
		d, err := parseDuration(args[0])
		if err != nil {
			return c.Errf("%s: %v", opt, err)
		}
		if opt == "refresh-min" {
			o.refreshMin = d
		} else {
			o.refreshMax = d
		}
	case "max-depth":
		if len(args) != 1 {
			return c.Err("max-depth takes one number of referrals, such as 8")
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > maxMaxDepth {
			return c.Errf("max-depth %q: want a number from 0 to %d", args[0], maxMaxDepth)
		}
		o.maxDepth = n
	case "port":
		if len(args) != 1 {
			return c.Err("port takes one port number, such as 53")
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > 65535 {
			return c.Errf("port %q: want a number from 1 to 65535", args[0])
		}
		o.port = uint16(n)
	default:
		return c.Errf("unknown property %q; want primaries, dir, tsig, refresh-min, refresh-max, max-depth or port", opt)
	}
	return nil
}

// parsePrimary accepts an IP address or IP:port ([IPv6]:port); BIND's
// primaries take addresses too, never names.
func parsePrimary(s string) (netip.AddrPort, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		if ip.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("%q: zoned IPv6 addresses are not supported", s)
		}
		return netip.AddrPortFrom(ip.Unmap(), 53), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 || ap.Addr().Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("%q is not an IP address or IP:port (write IPv6 with a port as [::1]:5353)", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// parseDuration takes a Go duration (5m, 1h30m) or, as BIND does, a number
// of seconds.
func parseDuration(s string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 5m or 300", s)
	}
	if d < time.Second {
		return 0, fmt.Errorf("%q is below one second", s)
	}
	return d, nil
}

// tsigAlgorithms are the names BIND uses in key statements.
var tsigAlgorithms = map[string]string{
	"hmac-md5":    dns.HmacMD5,
	"hmac-sha1":   dns.HmacSHA1,
	"hmac-sha224": dns.HmacSHA224,
	"hmac-sha256": dns.HmacSHA256,
	"hmac-sha384": dns.HmacSHA384,
	"hmac-sha512": dns.HmacSHA512,
}

// parseTSIG reads `tsig NAME [ALGORITHM [SECRET]]`: without SECRET the tsig
// plugin defines the key; with it the key is added to the server's keys.
func parseTSIG(args []string, cfg *dnsserver.Config) (*tsigKey, error) {
	if len(args) < 1 || len(args) > 3 {
		return nil, fmt.Errorf("want tsig NAME [ALGORITHM [SECRET]]")
	}
	k := &tsigKey{name: strings.ToLower(dns.Fqdn(args[0])), algorithm: dns.HmacSHA256}
	if _, ok := dns.IsDomainName(k.name); !ok {
		return nil, fmt.Errorf("key name %q is not a domain name", args[0])
	}
	if len(args) > 1 {
		alg, ok := tsigAlgorithms[strings.ToLower(strings.TrimSuffix(args[1], "."))]
		if !ok {
			return nil, fmt.Errorf("unknown algorithm %q; want hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1 or hmac-md5", args[1])
		}
		k.algorithm = alg
	}
	known, defined := cfg.TsigSecret[k.name]
	if len(args) < 3 {
		if !defined {
			return nil, fmt.Errorf("key %q is not defined: define it with the tsig plugin in this server block, or inline as tsig NAME ALGORITHM SECRET", k.name)
		}
		k.secret = known
		return k, nil
	}
	if _, err := base64.StdEncoding.DecodeString(args[2]); err != nil {
		return nil, fmt.Errorf("secret of key %q is not base64: %v", k.name, err)
	}
	k.secret = args[2]
	if defined && known != k.secret {
		return nil, fmt.Errorf("key %q is already defined with another secret", k.name)
	}
	// Copy rather than modify: the map may be the tsig plugin's own.
	secrets := map[string]string{k.name: k.secret}
	maps.Copy(secrets, cfg.TsigSecret)
	cfg.TsigSecret = secrets
	return k, nil
}

// checkDirPath fails parsing if dir cannot become a directory, creating nothing.
func checkDirPath(dir string) error {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Errorf("dir %q: %s is not a directory; give a directory the server may write", dir, p)
		case err == nil || filepath.Dir(p) == p:
			return nil
		}
	}
}

// makeDir creates dir and proves it writable at startup, not first refresh.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dir %q: %v", dir, err)
	}
	f, err := os.CreateTemp(dir, ".stubzones-probe-*")
	if err != nil {
		return fmt.Errorf("dir %q is not writable: %v", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
