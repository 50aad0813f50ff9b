package rfc2317

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// responses counts rfc2317's own answers by kind: cname, referral, child.
var responses = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: plugin.Namespace,
	Subsystem: pluginName,
	Name:      "responses_total",
	Help:      "Counter of responses rfc2317 synthesized, by kind (cname, referral, child).",
}, []string{"server", "kind"})

// kinds are the values of the kind label, indexed by the kind constants.
var kinds = [...]string{kindCNAME: "cname", kindCut: "referral", kindChild: "child"}

// counters are one server's responses counters, kept since WithLabelValues
// hashes on every call.
type counters struct {
	server string
	kind   [len(kinds)]prometheus.Counter
}

// count adds a response of kind k.
func (h *RFC2317) count(ctx context.Context, k kind) {
	srv := metrics.WithServer(ctx)
	c := h.counters.Load()
	if c == nil || c.server != srv {
		c = &counters{server: srv}
		for i, name := range kinds {
			if name != "" {
				c.kind[i] = responses.WithLabelValues(srv, name)
			}
		}
		h.counters.Store(c)
	}
	c.kind[k].Inc()
}
