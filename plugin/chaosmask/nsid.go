package chaosmask

import (
	"slices"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/miekg/dns"
)

// hasNSID reports whether m carries NSID; servers send it only when asked (RFC 5001 §2.1).
func hasNSID(m *dns.Msg) bool { return dnsreply.HasOption(m, dns.EDNS0NSID) }

// stripNSID removes NSID from m, replacing the option slice, which may be shared.
func stripNSID(m *dns.Msg) {
	if hasNSID(m) {
		o := m.IsEdns0()
		o.Option = slices.DeleteFunc(slices.Clone(o.Option), func(e dns.EDNS0) bool { return e.Option() == dns.EDNS0NSID })
	}
}

// nsidHider strips NSID from what the chain writes for an unrevealed client.
type nsidHider struct{ dnsreply.Writer }

// WriteMsg implements dns.ResponseWriter.
func (w *nsidHider) WriteMsg(m *dns.Msg) error {
	stripNSID(m)
	return w.ResponseWriter.WriteMsg(m)
}

// Write implements dns.ResponseWriter; a message that does not parse goes out as it is.
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
