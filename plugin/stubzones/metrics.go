package stubzones

import (
	"maps"
	"sync"

	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Zone labels are bounded by the configuration: only configured zones are
// ever used as label values.
var (
	refreshCount    = counter("refresh_total", "Counter of stub zone refreshes by result: updated (new serial or first load), unchanged or failed.", "server", "zone", "result")
	upstreamCount   = counter("upstream_queries_total", "Counter of queries sent to primaries and stub name servers, by the rcode of the reply (or timeout, error).", "server", "zone", "rcode")
	notifyCount     = counter("notifies_total", "Counter of NOTIFY messages received for stub zones, by result: accepted or refused.", "server", "zone", "result")
	saveErrors      = counter("save_errors_total", "Counter of stub zone copies that could not be written to dir (the data is served from memory meanwhile).", "server", "zone")
	delegationCount = counter("delegations_total", "Counter of referrals of the server's own zones that delegations followed, by result: resolved, forwarded or failed.", "server", "zone", "result")

	serialDesc  = zoneDesc("serial", "SOA serial of the stub zone's data in use.")
	expiresDesc = zoneDesc("expires_in_seconds", "Seconds until the stub zone's data expires without a successful refresh; 0 when it has none.")
)

// counter registers a counter of this plugin, coredns_stubzones_<name>.
func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      name,
		Help:      help,
	}, labels)
}

// zoneDesc describes a gauge of this plugin reported by the collector.
func zoneDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, name), help, []string{"server", "zone"}, nil)
}

func (s *Stubzones) upstreamCounter(server, zone string) func(rcode string) {
	return func(rcode string) { upstreamCount.WithLabelValues(server, zone, rcode).Inc() }
}

// collector reports running zones' serial and lifetime when scraped, keyed by
// labels so that a reload's new instance keeps a zone's series.
var collector = &zoneCollector{zones: map[[2]string]zoneEntry{}}

func init() { prometheus.MustRegister(collector) }

type zoneEntry struct {
	s *Stubzones
	z *zone
}

type zoneCollector struct {
	mu    sync.Mutex
	zones map[[2]string]zoneEntry
}

func (c *zoneCollector) add(s *Stubzones) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, z := range s.order {
		c.zones[[2]string{s.server, z.name}] = zoneEntry{s, z}
	}
}

func (c *zoneCollector) remove(s *Stubzones) {
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.DeleteFunc(c.zones, func(_ [2]string, e zoneEntry) bool { return e.s == s })
}

// Describe implements prometheus.Collector.
func (c *zoneCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- serialDesc
	ch <- expiresDesc
}

// Collect implements prometheus.Collector.
func (c *zoneCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.zones {
		left := 0.0
		if d := e.z.data.Load(); d != nil {
			ch <- prometheus.MustNewConstMetric(serialDesc, prometheus.GaugeValue, float64(d.soa.Serial), k[0], k[1])
			left = max(0, d.expires.Sub(e.s.clock.Now()).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(expiresDesc, prometheus.GaugeValue, left, k[0], k[1])
	}
}
