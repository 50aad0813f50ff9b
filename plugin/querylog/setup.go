package querylog

import (
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
)

const pluginName = "querylog"

func init() { plugin.Register(pluginName, setup) }

func setup(c *caddy.Controller) error {
	for c.Next() {
		if c.NextArg() || c.NextBlock() {
			return plugin.Error(pluginName, c.Err("not implemented yet: this placeholder takes no arguments"))
		}
	}
	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler { return Querylog{Next: next} })
	return nil
}
