package querylog

import (
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The plugin's metrics. Labels are fixed: never a client address (the
// statistics keep per-client data in bounded memory instead).
var (
	recordsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "records_total",
		Help:      "Counter of query records produced for the outputs, written or dropped.",
	}, []string{"server"})

	droppedTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "dropped_total",
		Help:      "Counter of query records not written: the queue was full, or the output failed.",
	}, []string{"server"})

	writeErrorsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "write_errors_total",
		Help:      "Counter of failed writes, connection attempts and file reopenings of the outputs.",
	}, []string{"server"})

	trackedClients = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "tracked_clients",
		Help:      "Gauge of clients in the statistics tables (at most their top slots).",
	}, []string{"server"})
)
