package recursionacl

import (
	"context"
	"slices"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// result indexes results, the result label of requestsTotal.
type result int

const (
	allowed       result = iota // the client may recurse
	authoritative               // denied client, answered from authoritative data
	denied                      // denied client, refused or dropped
)

var results = [...]string{allowed: "allowed", authoritative: "authoritative", denied: "denied"}

var (
	requestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "requests_total",
		Help:      "Counter of client requests checked against the recursion ACL, by result (allowed, authoritative, denied).",
	}, []string{"server", "result"})

	entries = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "entries",
		Help:      "Number of address match list elements loaded (allow lines, allow-file lines and the acls they name).",
	}, []string{"server"})

	logSuppressed = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "log_suppressed_total",
		Help:      "Counter of denial log lines left out by the log rate limit.",
	}, []string{"server"})

	logDropped = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "log_dropped_total",
		Help:      "Counter of denial log lines lost because the log output was too slow or unavailable.",
	}, []string{"server"})
)

// setEntries sets the entries gauge of every server the block listens on.
func (h *RecursionACL) setEntries(n int) {
	for _, l := range h.labels {
		entries.WithLabelValues(l).Set(float64(n))
	}
}

// serverCounters are the requests_total counters of one server label.
type serverCounters struct {
	server string
	c      [len(results)]prometheus.Counter
}

// count increments requests_total, with the block's counters kept at hand:
// WithLabelValues hashes on every call, a noticeable part of a cache hit.
func (h *RecursionACL) count(ctx context.Context, res result) {
	server := metrics.WithServer(ctx)
	var known []serverCounters
	if p := h.counters.Load(); p != nil {
		known = *p
	}
	for i := range known {
		if sc := &known[i]; sc.server == server {
			sc.c[res].Inc()
			return
		}
	}
	sc := serverCounters{server: server}
	for i, r := range results {
		sc.c[i] = requestsTotal.WithLabelValues(server, r)
	}
	sc.c[res].Inc()
	next := append(slices.Clip(known), sc) // a new array: readers may hold the old one
	h.counters.Store(&next)                // a lost race only costs a lookup next time
}
