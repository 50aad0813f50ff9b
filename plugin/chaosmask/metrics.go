package chaosmask

import (
	"github.com/coredns/coredns/plugin"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// queriesTotal counts CH queries by identity name and by what chaosmask did.
var queriesTotal = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: plugin.Namespace,
	Subsystem: pluginName,
	Name:      "queries_total",
	Help:      "Counter of CH-class queries by identity name and action (text, none, refuse, revealed).",
}, []string{"server", "name", "action"})
