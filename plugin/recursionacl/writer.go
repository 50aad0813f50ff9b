package recursionacl

import (
	"crypto/tls"

	"github.com/miekg/dns"
)

// raWriter sets the RA bit of every response to what this client may do:
// BIND sets RA only for clients allowed to recurse, and then on every reply,
// REFUSED included, whatever the plugins below put there.
type raWriter struct {
	dns.ResponseWriter
	ra      bool
	written bool
}

// WriteMsg implements dns.ResponseWriter.
func (w *raWriter) WriteMsg(m *dns.Msg) error {
	w.written = true
	m.RecursionAvailable = w.ra
	return w.ResponseWriter.WriteMsg(m)
}

// Write implements dns.ResponseWriter for plugins that write packed
// messages: RA is bit 7 of the fourth header byte.
func (w *raWriter) Write(b []byte) (int, error) {
	w.written = true
	if len(b) >= 4 {
		if w.ra {
			b[3] |= 0x80
		} else {
			b[3] &^= 0x80
		}
	}
	return w.ResponseWriter.Write(b)
}

// ConnectionState forwards the TLS state (DoT, DoH, DoQ), which embedding
// alone does not surface: it belongs to dns.ConnectionStater.
func (w *raWriter) ConnectionState() *tls.ConnectionState {
	if cs, ok := w.ResponseWriter.(dns.ConnectionStater); ok {
		return cs.ConnectionState()
	}
	return nil
}
