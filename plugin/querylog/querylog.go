// Package querylog implements the querylog plugin: BIND-style query logging
// (BIND 9 query lines or JSON) to stdout, stderr, files or syslog, and
// per-client statistics in bounded memory. See README.md.
package querylog

import (
	"context"
	"crypto/tls"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coredns/coredns/core/dnsserver"
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
//
// The work before and after the rest of the chain is in functions of their
// own so that ServeDNS's frame, which stays on the stack during the whole
// chain, is small: CoreDNS grows every query goroutine's stack, and a
// deeper stack costs more to copy.
func (h *Querylog) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	rw, want := h.begin(ctx, w, r)
	if rw == nil {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	rc, err := plugin.NextOrFailure(h.Name(), h.Next, ctx, rw, r)
	h.end(ctx, rw, r, want, rc)
	return rc, err
}

// begin decides which directives log the query (want has a bit for each)
// and returns the writer that records the response, nil if none does.
//
//go:noinline
func (h *Querylog) begin(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (*responseWriter, uint64) {
	if len(r.Question) == 0 {
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
	client := addrPort(w.RemoteAddr())
	key := signer(ctx, w, r)
	for i, l := range h.loggers {
		if want&(1<<i) != 0 && l.clients != nil && !l.clients.Match(client.Addr(), key) {
			want &^= 1 << i
		}
	}
	if want == 0 {
		return nil, 0
	}
	rw := &responseWriter{ResponseWriter: w, classify: h.classify, class: response.Error, start: time.Now()}
	rec := &rw.rec
	rec.time = rw.start.UnixNano()
	rec.id = h.ids.Add(1)
	rec.fromRequest(w, r, client, key) // before the chain: a later plugin may rewrite r
	return rw, want
}

// end completes the record once the chain has answered, counts it and
// queues it for each directive that wants it.
//
//go:noinline
func (h *Querylog) end(ctx context.Context, rw *responseWriter, r *dns.Msg, want uint64, rc int) {
	rec := &rw.rec
	if !rec.responded && !plugin.ClientWrite(rc) {
		// CoreDNS writes this reply itself, outside the chain.
		rec.synthesize(r, rc)
		rw.class = classOfRcode(rc)
	}
	rec.duration = int64(time.Since(rw.start)) // monotonic
	rec.server = metrics.WithServer(ctx)
	for i, l := range h.loggers {
		if want&(1<<i) == 0 {
			continue
		}
		if l.stats != nil {
			l.stats.add(rec)
		}
		if l.classes.has(rw.class) {
			l.queue.Enqueue(*rec)
		}
	}
}

// Name implements plugin.Handler.
func (h *Querylog) Name() string { return pluginName }

// signer returns the name of the TSIG key that signed r when the server
// verified the signature, "" otherwise. A server without TSIG keys (no tsig
// plugin) verifies nothing, so a signature is then ignored, as the query is.
func signer(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) string {
	t := r.IsTsig()
	if t == nil {
		return ""
	}
	srv, ok := ctx.Value(dnsserver.Key{}).(*dnsserver.Server)
	if !ok || len(srv.TsigSecret) == 0 || w.TsigStatus() != nil {
		return ""
	}
	return t.Hdr.Name
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
	return off == 0 || qname[off-1] == '.' && !escapedAt(qname, off-1)
}

// escapedAt reports whether s[i] is escaped by an odd run of backslashes.
func escapedAt(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
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

// responseWriter records what the rest of the chain writes. It sits above
// CoreDNS's ScrubWriter, so a message is measured as sent: truncated to the
// client's buffer, compressed.
type responseWriter struct {
	dns.ResponseWriter
	start    time.Time
	rec      record
	classify bool
	class    response.Class
}

// WriteMsg implements dns.ResponseWriter.
func (w *responseWriter) WriteMsg(m *dns.Msg) error {
	err := w.ResponseWriter.WriteMsg(m)
	if w.classify && !w.rec.responded {
		t, _ := response.Typify(m, time.Now())
		w.class = response.Classify(t)
	}
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

// ConnectionState passes the TLS state through, as request.ScrubWriter does,
// for the plugins after this one that look at it.
func (w *responseWriter) ConnectionState() *tls.ConnectionState {
	if cs, ok := w.ResponseWriter.(dns.ConnectionStater); ok {
		return cs.ConnectionState()
	}
	return nil
}

// classOfRcode is the log plugin's response class of a reply that has only
// an rcode.
func classOfRcode(rcode int) response.Class {
	switch rcode {
	case dns.RcodeSuccess:
		return response.Success
	case dns.RcodeNameError:
		return response.Denial
	}
	return response.Error
}
