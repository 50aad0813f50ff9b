// Package chaosmask is a placeholder until its issue lands: it passes every query on.
package chaosmask

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// Chaosmask passes queries to the next plugin.
type Chaosmask struct{ Next plugin.Handler }

var _ plugin.Handler = Chaosmask{}

// ServeDNS implements plugin.Handler.
func (h Chaosmask) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
}

// Name implements plugin.Handler.
func (h Chaosmask) Name() string { return pluginName }
