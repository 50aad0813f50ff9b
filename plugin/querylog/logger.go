package querylog

import (
	"time"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/corebind/corebind/plugin/pkg/logsink"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/coredns/coredns/plugin/pkg/response"
	"github.com/prometheus/client_golang/prometheus"
)

var log = clog.NewWithPlugin(pluginName)

// format is a log format.
type format uint8

const (
	formatBIND format = iota
	formatJSON
)

// classSet is a set of response classes; the empty set means all.
type classSet uint8

func (s classSet) has(c response.Class) bool { return s == 0 || s&(1<<c) != 0 }

// logger is one querylog directive.
type logger struct {
	zones      []string        // lower case, fully qualified
	blockZones []string        // the server block's, for the zone field
	clients    *addrmatch.List // nil: every client
	classes    classSet
	format     format
	responses  bool
	output     logsink.Output
	buffer     int
	mask       addrMask // client addresses truncated in the output
	sample     uint32   // log one query in sample (0, 1: all)

	// stats, nil without a stats block.
	stats    *stats
	top      int
	names    int
	interval time.Duration
	listen   string
	http     *statsServer

	queue *logsink.Queue[record]
	label string // the server label of the metrics not tied to a query

	// Writer goroutine state.
	scratch     []byte
	lastServer  string
	lastRecords prometheus.Counter
	nextSummary time.Time
	lastTracked int // this directive's share of the tracked_clients gauge
}

// publishTracked sets this directive's share of the tracked clients gauge.
func (l *logger) publishTracked(n int) {
	if n != l.lastTracked {
		trackedClients.WithLabelValues(l.label).Add(float64(n - l.lastTracked))
		l.lastTracked = n
	}
}

// inZones reports whether the directive logs queries for qname.
func (l *logger) inZones(qname string) bool {
	for _, z := range l.zones {
		if inZone(qname, z) {
			return true
		}
	}
	return false
}

// newQueue creates the directive's queue, its hooks feeding the metrics.
func (l *logger) newQueue() (*logsink.Queue[record], error) {
	opts := logsink.Options[record]{
		Output: l.output,
		Size:   l.buffer,
		Prefix: l.format == formatBIND,
		Format: l.formatRecord,
		Tick:   l.tick,
		Dropped: func(rec *record) {
			recordsTotal.WithLabelValues(rec.server).Inc()
			droppedTotal.WithLabelValues(rec.server).Inc()
		},
		Failed: func(rec *record) { droppedTotal.WithLabelValues(rec.server).Inc() },
		WriteError: func(err error) {
			writeErrorsTotal.WithLabelValues(l.label).Inc()
			log.Debugf("writing to %s: %v", l.output, err)
		},
		Notice: func(n uint64) {
			log.Warningf("%d records dropped: %s is too slow or unavailable", n, l.output)
		},
	}
	if l.format == formatJSON {
		opts.FormatDrops = l.formatDropsJSON
	}
	return logsink.New(opts)
}

// formatRecord is the queue's Format: it counts the record and writes it.
func (l *logger) formatRecord(e *logsink.Emitter, rec *record) {
	if rec.server != l.lastServer || l.lastRecords == nil {
		l.lastServer, l.lastRecords = rec.server, recordsTotal.WithLabelValues(rec.server)
	}
	l.lastRecords.Inc()
	if l.mask.on {
		masked := *rec
		l.mask.apply(&masked)
		rec = &masked
	}
	switch l.format {
	case formatJSON:
		l.formatJSON(e, rec)
	default:
		l.formatBIND(e, rec)
	}
}

// tick runs in the writer goroutine about once a second: it updates the
// tracked clients gauge and writes the interval summary when due.
func (l *logger) tick(e *logsink.Emitter, now time.Time) {
	if l.stats == nil {
		return
	}
	l.publishTracked(l.stats.tracked())
	if l.interval <= 0 {
		return
	}
	if l.nextSummary.IsZero() {
		l.nextSummary = now.Add(l.interval)
		return
	}
	if now.Before(l.nextSummary) {
		return
	}
	for !now.Before(l.nextSummary) {
		l.nextSummary = l.nextSummary.Add(l.interval)
	}
	l.writeSummary(e, l.stats.snapshot(now))
}
