package stubzones

import (
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
)

const delegationsName = "delegations"

func init() { plugin.Register(delegationsName, setupDelegations) }

func setupDelegations(c *caddy.Controller) error {
	cfg := dnsserver.GetConfig(c)
	d, err := parseDelegations(c)
	if err != nil {
		return plugin.Error(delegationsName, err)
	}
	c.OnStartup(func() error { return d.OnStartup(cfg.Handler("forward")) })
	cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
		d.Next = next
		return d
	})
	return nil
}

// parseDelegations reads the block's delegations directive (one per block).
func parseDelegations(c *caddy.Controller) (*Delegations, error) {
	var d *Delegations
	for c.Next() {
		if d != nil {
			return nil, c.Err("delegations is given twice in this server block; list every zone on one delegations line")
		}
		zones, err := zoneArgs(c)
		if err != nil {
			return nil, err
		}
		opts := &options{maxDepth: defaultMaxDepth, port: 53}
		forward := false
		for c.NextBlock() {
			switch c.Val() {
			case "forward":
				if len(c.RemainingArgs()) != 0 {
					return nil, c.Err("forward takes no arguments: the servers are those of the forward plugin of this server block")
				}
				forward = true
			case "max-depth", "port":
				if err := parseOption(c, nil, opts); err != nil {
					return nil, err
				}
			default:
				return nil, c.Errf("unknown property %q; want forward, max-depth or port", c.Val())
			}
		}
		d = newDelegations(zones, opts, forward)
	}
	return d, nil
}
