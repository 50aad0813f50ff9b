// Package querylog is a placeholder until its issue lands: it passes every query on.
package querylog

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// Querylog passes queries to the next plugin.
type Querylog struct{ Next plugin.Handler }

var _ plugin.Handler = Querylog{}

// ServeDNS implements plugin.Handler.
func (h Querylog) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
}

// Name implements plugin.Handler.
func (h Querylog) Name() string { return pluginName }
