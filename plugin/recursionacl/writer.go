package recursionacl

import (
	"slices"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/miekg/dns"
)

// raWriter sets RA on every reply to what the client may do, as BIND does, and
// adds EDE 18 for a denied client whose answer needed outside data. A message
// it changes is a copy: the writer's plugin may keep the original.
type raWriter struct {
	dnsreply.Writer
	ra      bool
	chased  *bool // denied client, EDNS query: true when a lookup made for it was refused
	written bool
}

var _ dns.ResponseWriter = (*raWriter)(nil)

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

// Write implements dns.ResponseWriter for packed messages (RA: bit 7 of byte 3).
func (w *raWriter) Write(b []byte) (int, error) {
	w.written = true
	if len(b) >= 4 && (b[3]&0x80 != 0) != w.ra {
		b = slices.Clone(b)
		b[3] ^= 0x80
	}
	return w.ResponseWriter.Write(b)
}

// withEDE adds an EDE to m, a shallow copy: its Extra and OPT are replaced,
// not changed; without an OPT one is added.
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
