package recursionacl

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/corebind/corebind/plugin/pkg/logsink"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/plugin/tsig"

	"github.com/miekg/dns"
)

// denialLog writes BIND's "query (cache) '…' denied" security line, rate-limited
// per client, in the older form fail2ban's named-refused filter matches.
type denialLog struct {
	q     *logsink.Queue[denial]
	limit *limiter
	ids   atomic.Uint64
}

// denial is a denial log record: plain values, copied into the queue.
type denial struct {
	time   time.Time
	id     uint64
	client netip.AddrPort
	key    string       // the TSIG key that signed the query, verified; or ""
	qname  string       // the client's query name
	q      dns.Question // the question denied: the client's, or one chased for it
	server string       // metric label
}

// Default per-client denial log rate: a burst of 5 lines (fail2ban's
// default maxretry), then one a second.
const (
	defaultLogRate  = 1
	defaultLogBurst = 5
)

func newDenialLog(out logsink.Output, rate, burst float64) (*denialLog, error) {
	l := &denialLog{limit: newLimiter(rate, burst)}
	// BIND prints its client object's address; an opaque, address-like id
	// per denial keeps the @0x… field looking and parsing the same.
	l.ids.Store(0x7f0000000000 + rand.Uint64N(1<<32)<<8)
	var errorLogged time.Time // in the writer goroutine only
	q, err := logsink.New(logsink.Options[denial]{
		Output:  out,
		Prefix:  true,
		Format:  formatDenial,
		Dropped: func(d *denial) { logDropped.WithLabelValues(d.server).Inc() },
		Failed:  func(d *denial) { logDropped.WithLabelValues(d.server).Inc() },
		WriteError: func(err error) {
			if now := time.Now(); now.Sub(errorLogged) >= 10*time.Second {
				errorLogged = now
				log.Warningf("denial log %s: %v", out, err)
			}
		},
		Notice: func(n uint64) {
			log.Warningf("denial log %s: %d lines dropped (output too slow or unavailable)", out, n)
		},
	})
	if err != nil {
		return nil, err
	}
	l.q = q
	return l, nil
}

// log records the denial of r; qname is the client's query name.
func (l *denialLog) log(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, qname string) {
	from := client.AddrPort(w.RemoteAddr())
	now := time.Now()
	server := metrics.WithServer(ctx)
	if !l.limit.allow(from.Addr(), now) {
		logSuppressed.WithLabelValues(server).Inc()
		return
	}
	key, _ := tsig.ValidatedKeyName(ctx)
	l.q.Enqueue(denial{
		time: now, id: l.ids.Add(0x100), client: from, key: key,
		qname: qname, q: r.Question[0], server: server,
	})
}

// formatDenial runs in the log writer goroutine.
func formatDenial(e *logsink.Emitter, d *denial) {
	b := e.Buf()
	b = bindfmt.AppendClient(b, d.id, d.client, d.key, d.qname)
	b = append(b, "query (cache) '"...)
	b = bindfmt.AppendName(b, d.q.Name)
	b = append(b, '/')
	b = bindfmt.AppendType(b, d.q.Qtype)
	b = append(b, '/')
	b = bindfmt.AppendClass(b, d.q.Qclass)
	b = append(b, "' denied"...)
	e.Emit(d.time, logsink.SevInfo, "security", b)
}
