// Package recursionacl is a placeholder until its issue lands: it passes every query on.
package recursionacl

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// Recursionacl passes queries to the next plugin.
type Recursionacl struct{ Next plugin.Handler }

var _ plugin.Handler = Recursionacl{}

// ServeDNS implements plugin.Handler.
func (h Recursionacl) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
}

// Name implements plugin.Handler.
func (h Recursionacl) Name() string { return pluginName }
