package dnsreply

import (
	"crypto/tls"

	"github.com/miekg/dns"
)

// Writer passes everything to the dns.ResponseWriter it embeds, the TLS
// state of DoT, DoH and DoQ included: dns.ConnectionStater is not part of
// dns.ResponseWriter, so embedding that alone hides it from the plugins
// after. A plugin's writer embeds Writer and overrides what it changes.
type Writer struct{ dns.ResponseWriter }

var _ dns.ConnectionStater = Writer{}

// ConnectionState implements dns.ConnectionStater.
func (w Writer) ConnectionState() *tls.ConnectionState {
	if cs, ok := w.ResponseWriter.(dns.ConnectionStater); ok {
		return cs.ConnectionState()
	}
	return nil
}
