package querylog

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/miekg/dns"
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

	unloggedTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "unlogged_total",
		Help:      "Counter of requests that get no query line, as in BIND, by reason: notify, update, opcode (other opcodes), tsig (signature failed), class (refused class other than IN and CH).",
	}, []string{"server", "reason"})

	sampledOut = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "sampled_out_total",
		Help:      "Counter of query records not written because of sample: the queries the statistics count but the output leaves out.",
	}, []string{"server"})

	statsDenied = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "stats_denied_total",
		Help:      "Counter of requests to the statistics listener refused, by reason: address (not in allow, 403), origin (a cross-origin POST /reset, 403).",
	}, []string{"listen", "reason"})

	trackedClients = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "tracked_clients",
		Help:      "Gauge of clients in the statistics tables (at most their top slots).",
	}, []string{"server"})
)

// Reasons a request gets no query line (the reason label of unlogged_total).
const (
	reasonNotify = "notify"
	reasonUpdate = "update"
	reasonOpcode = "opcode"
	reasonTSIG   = "tsig"
	reasonClass  = "class"
)

// opcodeReason is the reason label of a request whose opcode is not QUERY.
func opcodeReason(op int) string {
	switch op {
	case dns.OpcodeNotify:
		return reasonNotify
	case dns.OpcodeUpdate:
		return reasonUpdate
	}
	return reasonOpcode
}

// countUnlogged counts a request that gets no query line.
func countUnlogged(ctx context.Context, reason string) {
	unloggedTotal.WithLabelValues(metrics.WithServer(ctx), reason).Inc()
}
