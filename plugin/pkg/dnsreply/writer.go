package dnsreply

import (
	"crypto/tls"

	"github.com/miekg/dns"
)

// Writer passes everything to the embedded writer, dns.ConnectionStater (TLS
// state) included, which embedding dns.ResponseWriter alone would hide.
type Writer struct{ dns.ResponseWriter }

var _ dns.ConnectionStater = Writer{}

// ConnectionState implements dns.ConnectionStater.
func (w Writer) ConnectionState() *tls.ConnectionState {
	if cs, ok := w.ResponseWriter.(dns.ConnectionStater); ok {
		return cs.ConnectionState()
	}
	return nil
}
