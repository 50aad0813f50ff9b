package rrl

import (
	"sync"

	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Result labels; log-only mode counts would_slip and would_drop (and sends).
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

// The results, indexed by verdict, then by verdict+3 with log-only.
var results = [...]string{resultPassed, resultSlipped, resultDropped, resultPassed, resultWouldSlip, resultWouldDrop}

// counters holds one server's responsesTotal children, looked up once: a
// label lookup per response would cost more than the rate limiting itself.
type counters [numClasses][len(results)]prometheus.Counter

// countResponse counts one judged response; cache maps a server label to *counters.
func countResponse(cache *sync.Map, server string, c class, v verdict, logOnly bool) {
	cs, ok := cache.Load(server)
	if !ok {
		n := new(counters)
		for cl := range numClasses {
			for r, name := range results {
				n[cl][r] = responsesTotal.WithLabelValues(server, cl.String(), name)
			}
		}
		cs, _ = cache.LoadOrStore(server, n)
	}
	r := int(v)
	if logOnly {
		r += 3
	}
	cs.(*counters)[c][r].Inc()
}
