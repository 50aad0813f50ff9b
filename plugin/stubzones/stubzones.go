// Package stubzones is a placeholder until its issue lands: it passes every query on.
package stubzones

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// Stubzones passes queries to the next plugin.
type Stubzones struct{ Next plugin.Handler }

var _ plugin.Handler = Stubzones{}

// ServeDNS implements plugin.Handler.
func (h Stubzones) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
}

// Name implements plugin.Handler.
func (h Stubzones) Name() string { return pluginName }
