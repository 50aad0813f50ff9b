package recursionacl

import (
	"slices"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/miekg/dns"
)

// raWriter sets the RA bit of every response to what this client may do:
// BIND sets RA only for clients allowed to recurse, and then on every reply,
// REFUSED included, whatever the plugins below put there. For a denied
// client whose answer needed data from elsewhere (an out-of-zone CNAME
// target), it adds EDE 18 (Prohibited), as BIND does.
//
// It writes through, at once, and returns the write's error; a message it
// changes is changed on a copy, as the plugin that wrote it may keep it.
type raWriter struct {
	dnsreply.Writer
	ra      bool
	chased  *bool // denied client, EDNS query: true when a lookup made for it was refused
	written bool
}

var (
	_ dns.ResponseWriter = (*raWriter)(nil)
)

// WriteMsg implements dns.ResponseWriter.
func (w *raWriter) WriteMsg(m *dns.Msg) error {
	w.written = true
	ede := w.chased != nil && *w.chased
	if m.RecursionAvailable != w.ra || ede {
		c := *m // a shallow copy: only the header and Extra change
		c.RecursionAvailable = w.ra
		if ede {
			withEDE(&c, dns.ExtendedErrorCodeProhibited)
		}
		m = &c
	}
	return w.ResponseWriter.WriteMsg(m)
}

// Write implements dns.ResponseWriter for plugins that write packed
// messages: RA is bit 7 of the fourth header byte.
func (w *raWriter) Write(b []byte) (int, error) {
	w.written = true
	if len(b) >= 4 && (b[3]&0x80 != 0) != w.ra {
		b = slices.Clone(b)
		b[3] ^= 0x80
	}
	return w.ResponseWriter.Write(b)
}

// withEDE adds an Extended DNS Error to m, a shallow copy whose Extra
// section and OPT record are still the original's: both are replaced, not
// changed. Without an OPT, one is added (the server's scrub writer sets its
// size and DO bit from the query).
func withEDE(m *dns.Msg, code uint16) {
	ede := &dns.EDNS0_EDE{InfoCode: code}
	m.Extra = slices.Clone(m.Extra)
	for i, rr := range m.Extra {
		if opt, ok := rr.(*dns.OPT); ok {
			o := *opt
			o.Option = append(slices.Clone(opt.Option), ede)
			m.Extra[i] = &o
			return
		}
	}
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	opt.SetUDPSize(dns.DefaultMsgSize)
	opt.Option = []dns.EDNS0{ede}
	m.Extra = append(m.Extra, opt)
}
