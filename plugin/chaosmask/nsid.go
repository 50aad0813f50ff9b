package chaosmask

import (
	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/miekg/dns"
)

// hasNSID reports whether m carries an NSID option. A server only sends
// NSID when asked (RFC 5001 section 2.1), so only the responses to queries
// that have one need scrubbing.
func hasNSID(m *dns.Msg) bool {
	o := m.IsEdns0()
	if o == nil {
		return false
	}
	for _, e := range o.Option {
		if e.Option() == dns.EDNS0NSID {
			return true
		}
	}
	return false
}

// stripNSID removes every NSID option from m. The option slice is replaced,
// never edited in place: it may be shared (the request's OPT, a cached
// message).
func stripNSID(m *dns.Msg) {
	if !hasNSID(m) {
		return
	}
	o := m.IsEdns0()
	opts := make([]dns.EDNS0, 0, len(o.Option)-1)
	for _, e := range o.Option {
		if e.Option() != dns.EDNS0NSID {
			opts = append(opts, e)
		}
	}
	o.Option = opts
}

// nsidHider is the ResponseWriter handed down the chain for an unrevealed
// client that asked for NSID: whatever the nsid plugin or an upstream adds
// is taken out before the response leaves.
type nsidHider struct{ dnsreply.Writer }

// WriteMsg implements dns.ResponseWriter.
func (w *nsidHider) WriteMsg(m *dns.Msg) error {
	stripNSID(m)
	return w.ResponseWriter.WriteMsg(m)
}

// Write implements dns.ResponseWriter for the rare plugin that writes wire
// format itself. A message that does not parse goes out as it is: neither
// chaosmask nor the client can read an NSID in it.
func (w *nsidHider) Write(b []byte) (int, error) {
	m := new(dns.Msg)
	if m.Unpack(b) != nil || !hasNSID(m) {
		return w.ResponseWriter.Write(b)
	}
	stripNSID(m)
	out, err := m.Pack()
	if err != nil {
		return 0, err
	}
	if _, err := w.ResponseWriter.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
