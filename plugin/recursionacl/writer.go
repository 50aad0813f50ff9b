package recursionacl

import (
	"crypto/tls"
	"net"

	"github.com/miekg/dns"
)

// raWriter sets the RA bit of every response to what this client may do:
// BIND sets RA only for clients allowed to recurse, and then on every reply,
// REFUSED included, whatever the plugins below put there.
//
// For a UDP query it also holds the reply until the plugins below have
// returned, and recursionacl writes it then (flush), from its own, shallow
// stack frame. miekg/dns serves each UDP query on a new goroutine, whose
// stack starts at 2 KiB and doubles when full; a cache hit through cache's
// large frames into packing and sending the reply comes within a few dozen
// bytes of 4 KiB, so any frame added in front of cache (recursionacl's, or
// acl's) costs a second stack copy per query, more than recursionacl's own
// work. Written from here, the reply needs far less stack than without
// recursionacl. CoreDNS plugins write before they return (the metrics and
// log plugins depend on it too); those that write several messages (zone
// transfers) use TCP, and other opcodes (NOTIFY, whose reply file sends
// before transferring the zone) are never held.
type raWriter struct {
	dns.ResponseWriter
	ra      bool
	written bool
	hold    bool     // hold the first reply until flush
	held    *dns.Msg // the reply held
}

var (
	_ dns.ResponseWriter   = (*raWriter)(nil)
	_ dns.ConnectionStater = (*raWriter)(nil)
)

func newRAWriter(w dns.ResponseWriter, r *dns.Msg, ra bool) *raWriter {
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	return &raWriter{ResponseWriter: w, ra: ra, hold: udp && r.Opcode == dns.OpcodeQuery}
}

// WriteMsg implements dns.ResponseWriter.
func (w *raWriter) WriteMsg(m *dns.Msg) error {
	w.written = true
	m.RecursionAvailable = w.ra
	if w.hold {
		w.hold, w.held = false, m
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	return w.ResponseWriter.WriteMsg(m)
}

// flush writes the reply held, if any.
func (w *raWriter) flush() error {
	w.hold = false
	if m := w.held; m != nil {
		w.held = nil
		return w.ResponseWriter.WriteMsg(m)
	}
	return nil
}

// Write implements dns.ResponseWriter for plugins that write packed
// messages: RA is bit 7 of the fourth header byte.
func (w *raWriter) Write(b []byte) (int, error) {
	w.written = true
	if err := w.flush(); err != nil {
		return 0, err
	}
	if len(b) >= 4 {
		if w.ra {
			b[3] |= 0x80
		} else {
			b[3] &^= 0x80
		}
	}
	return w.ResponseWriter.Write(b)
}

// Close implements dns.ResponseWriter: what was written goes out first.
func (w *raWriter) Close() error {
	w.flush()
	return w.ResponseWriter.Close()
}

// ConnectionState forwards the TLS state (DoT, DoH, DoQ), which embedding
// alone does not surface: it belongs to dns.ConnectionStater.
func (w *raWriter) ConnectionState() *tls.ConnectionState {
	if cs, ok := w.ResponseWriter.(dns.ConnectionStater); ok {
		return cs.ConnectionState()
	}
	return nil
}
