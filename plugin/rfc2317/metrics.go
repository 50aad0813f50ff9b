package rfc2317

import (
	"github.com/coredns/coredns/plugin"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// responses counts the answers rfc2317 gives itself, by kind: cname (parent:
// an address of a delegated block), referral (parent: a name at or below a
// child zone), child (customer side: an original address name).
var responses = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: plugin.Namespace,
	Subsystem: pluginName,
	Name:      "responses_total",
	Help:      "Counter of responses rfc2317 synthesized, by kind (cname, referral, child).",
}, []string{"server", "kind"})
