// Package rfc2317 is a placeholder until its issue lands: it passes every query on.
package rfc2317

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// Rfc2317 passes queries to the next plugin.
type Rfc2317 struct{ Next plugin.Handler }

var _ plugin.Handler = Rfc2317{}

// ServeDNS implements plugin.Handler.
func (h Rfc2317) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
}

// Name implements plugin.Handler.
func (h Rfc2317) Name() string { return pluginName }
