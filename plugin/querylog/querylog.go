// Package querylog implements BIND-style query logging and per-client
// statistics in bounded memory. See README.md.
package querylog

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/plugin/pkg/response"
	"github.com/miekg/dns"
)

// Querylog is the handler of a server block: its querylog directives.
type Querylog struct {
	Next    plugin.Handler
	loggers []*logger
	// classify is set when a directive filters by response class, so the
	// class is worked out only then.
	classify bool
	ids      atomic.Uint64 // the "client @0x…" identifier of each query
}

var _ plugin.Handler = (*Querylog)(nil)

// ServeDNS implements plugin.Handler. It only fills a record: the writer
// goroutine of each directive formats and writes it.
func (h *Querylog) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	rw, want := h.begin(ctx, w, r)
	if rw == nil {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	rc, err := plugin.NextOrFailure(h.Name(), h.Next, ctx, rw, r)
	h.end(ctx, rw, r, want, rc)
	return rc, err
}

// begin decides which directives log the query (a bit each in want) and
// returns the recording writer, nil if none. As in BIND, only a client's own
// QUERY requests get a query line; a failed TSIG gets the security line.
func (h *Querylog) begin(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (*responseWriter, uint64) {
	if len(r.Question) == 0 || client.Internal(ctx) {
		return nil, 0
	}
	var want uint64
	qname := r.Question[0].Name
	for i, l := range h.loggers {
		if l.inZones(qname) {
			want |= 1 << i
		}
	}
	if want == 0 {
		return nil, 0
	}
	from := client.AddrPort(w.RemoteAddr())
	key, tsig := client.TSIG(ctx, w, r)
	if tsig != client.Verified {
		key = ""
	}
	for i, l := range h.loggers {
		if want&(1<<i) != 0 && l.clients != nil && !l.clients.Match(from.Addr(), key) {
			want &^= 1 << i
		}
	}
	if want == 0 {
		return nil, 0
	}
	// BIND checks the signature before it looks at the opcode: a NOTIFY
	// with a bad signature gets the security line too.
	if tsig == client.Failed {
		h.tsigFailure(ctx, w, r, from, want)
		return nil, 0
	}
	if r.Opcode != dns.OpcodeQuery {
		countUnlogged(ctx, opcodeReason(r.Opcode))
		return nil, 0
	}
	// time.Now, not a hand-made clock: BenchmarkClock (c1f4028, 2026-12-03) put the
	// difference at ~0.6% of a query's whole-server cost, under issue 15's 1% bar.
	rw := &responseWriter{Writer: dnsreply.Writer{ResponseWriter: w}, classify: h.classify, class: response.Error, start: time.Now()}
	rec := &rw.rec
	rec.time = rw.start.UnixNano()
	rec.id = h.ids.Add(1)
	rec.fromRequest(w, r, from, key) // before the chain: a later plugin may rewrite r
	return rw, want
}

// tsigFailure queues BIND's security line for a request whose TSIG
// signature did not verify; the tsig plugin answers it NOTAUTH.
func (h *Querylog) tsigFailure(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, from netip.AddrPort, want uint64) {
	countUnlogged(ctx, reasonTSIG)
	rec := record{kind: kindTSIGFailure, client: from, local: client.AddrPort(w.LocalAddr())}
	rec.time = time.Now().UnixNano()
	rec.id = h.ids.Add(1)
	rec.key = r.IsTsig().Hdr.Name
	rec.msgID = r.Id
	rec.server = metrics.WithServer(ctx)
	// The TSIG error the tsig plugin answers with, as it maps it.
	switch w.TsigStatus() {
	case dns.ErrSecret:
		rec.rcode = dns.RcodeBadKey
	case dns.ErrTime:
		rec.rcode = dns.RcodeBadTime
	default:
		rec.rcode = dns.RcodeBadSig
	}
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		rec.flags |= bindfmt.TCP
	}
	for i, l := range h.loggers {
		if want&(1<<i) != 0 {
			l.queue.Enqueue(rec)
		}
	}
}

// end completes the record, counts it and queues it for each directive wanting it.
func (h *Querylog) end(ctx context.Context, rw *responseWriter, r *dns.Msg, want uint64, rc int) {
	rec := &rw.rec
	if !rec.responded && !plugin.ClientWrite(rc) {
		// CoreDNS writes this reply itself, outside the chain.
		rec.synthesize(r, rc)
		rw.class = classOfRcode(rc)
	}
	if refusedClass(rec) {
		countUnlogged(ctx, reasonClass)
		return
	}
	rec.duration = int64(time.Since(rw.start))
	rec.server = metrics.WithServer(ctx)
	var hash uint64 // 0: not worked out yet
	for i, l := range h.loggers {
		if want&(1<<i) == 0 {
			continue
		}
		if l.stats != nil {
			l.stats.add(rec)
		}
		if !l.classes.has(rw.class) {
			continue
		}
		if l.sample > 1 {
			if hash == 0 {
				hash = sampleHash(rec)
			}
			if !sampled(hash, l.sample) {
				sampledOut.WithLabelValues(rec.server).Inc()
				continue
			}
		}
		l.queue.Enqueue(*rec)
	}
}

// Name implements plugin.Handler.
func (h *Querylog) Name() string { return pluginName }

// refusedClass reports a refused (or unanswered) query of a class other than
// IN and CH: BIND logs no query line for those.
func refusedClass(rec *record) bool {
	if rec.qclass == dns.ClassINET || rec.qclass == dns.ClassCHAOS {
		return false
	}
	if !rec.responded {
		return true
	}
	switch rec.rcode {
	case dns.RcodeRefused, dns.RcodeFormatError, dns.RcodeNotImplemented:
		return true
	}
	return false
}

// inZone reports whether qname is zone or below it; zone is lower case and
// fully qualified. Unlike dns.IsSubDomain it does not allocate.
func inZone(qname, zone string) bool {
	if zone == "." {
		return true
	}
	off := len(qname) - len(zone)
	if off < 0 || !strings.EqualFold(qname[off:], zone) {
		return false
	}
	// The suffix must start a label: after an unescaped dot.
	return off == 0 || qname[off-1] == '.' && !bindfmt.EscapedAt(qname, off-1)
}

// longestZone returns the longest of zones that qname is in, "" if none.
func longestZone(qname string, zones []string) string {
	best := ""
	for _, z := range zones {
		if len(z) > len(best) && inZone(qname, z) {
			best = z
		}
	}
	return best
}

// responseWriter records what the chain writes; above ScrubWriter, so sizes
// are as sent.
type responseWriter struct {
	dnsreply.Writer
	start    time.Time // when the query arrived
	rec      record
	classify bool
	class    response.Class
}

// WriteMsg implements dns.ResponseWriter. The message is measured once
// written: CoreDNS's ScrubWriter below has truncated and compressed it.
func (w *responseWriter) WriteMsg(m *dns.Msg) error {
	err := w.ResponseWriter.WriteMsg(m)
	if w.classify && !w.rec.responded {
		t, _ := response.Typify(m, time.Now())
		w.class = response.Classify(t)
	}
	w.rec.size += uint32(m.Len())
	w.rec.fromResponse(m)
	return err
}

// Write implements dns.ResponseWriter.
func (w *responseWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	if w.classify && !w.rec.responded && len(b) >= 12 {
		w.class = classOfRcode(int(b[3] & 0xf))
	}
	w.rec.fromWire(b)
	return n, err
}

// classOfRcode is the log plugin's class of a reply that has only an rcode.
func classOfRcode(rcode int) response.Class {
	switch rcode {
	case dns.RcodeSuccess:
		return response.Success
	case dns.RcodeNameError:
		return response.Denial
	}
	return response.Error
}
