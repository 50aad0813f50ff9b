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
	recordsTotal = counter("records_total",
		"Counter of query records produced for the outputs, written or dropped.", "server")
	droppedTotal = counter("dropped_total",
		"Counter of query records not written: the queue was full, or the output failed.", "server")
	writeErrorsTotal = counter("write_errors_total",
		"Counter of failed writes, connection attempts and file reopenings of the outputs.", "server")
	unloggedTotal = counter("unlogged_total",
		"Counter of requests that get no query line, as in BIND, by reason: notify, update, opcode (other opcodes), tsig (signature failed), class (refused class other than IN and CH).", "server", "reason")
	sampledOut = counter("sampled_out_total",
		"Counter of query records not written because of sample: the queries the statistics count but the output leaves out.", "server")
	statsDenied = counter("stats_denied_total",
		"Counter of requests to the statistics listener refused, by reason: address (not in allow, 403), origin (a cross-origin POST /reset, 403).", "listen", "reason")

	trackedClients = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "tracked_clients",
		Help:      "Gauge of clients in the statistics tables (at most their top slots).",
	}, []string{"server"})
)

// counter registers a counter of the plugin.
func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return promauto.NewCounterVec(prometheus.CounterOpts{Namespace: plugin.Namespace, Subsystem: pluginName, Name: name, Help: help}, labels)
}

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
