package rrl

import (
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The result label of responsesTotal. In log-only mode, responses that
// would have been limited are counted as would_slip or would_drop (and
// sent).
const (
	resultPassed    = "passed"
	resultSlipped   = "slipped"
	resultDropped   = "dropped"
	resultWouldSlip = "would_slip"
	resultWouldDrop = "would_drop"
)

var (
	responsesTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "responses_total",
		Help:      "Counter of UDP responses judged by rate limiting, by response class (response, referral, nodata, nxdomain, error) and result (passed, slipped, dropped; would_slip and would_drop with log-only).",
	}, []string{"server", "class", "result"})

	tableEntries = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "table_entries",
		Help:      "Number of accounts in the rate-limit table.",
	}, []string{"server"})

	logDropped = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "log_dropped_total",
		Help:      "Counter of rate-limit log lines not written: the queue was full, or the output failed.",
	}, []string{"server"})
)

func countResponse(server string, c class, v verdict, logOnly bool) {
	result := resultPassed
	switch {
	case v == slip && logOnly:
		result = resultWouldSlip
	case v == drop && logOnly:
		result = resultWouldDrop
	case v == slip:
		result = resultSlipped
	case v == drop:
		result = resultDropped
	}
	responsesTotal.WithLabelValues(server, c.String(), result).Inc()
}
