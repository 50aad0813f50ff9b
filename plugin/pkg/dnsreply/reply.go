// Package dnsreply holds what several corebind plugins need to write replies
// themselves: error replies with an Extended DNS Error, their OPT record,
// and the base of the ResponseWriters they hand down the chain.
package dnsreply

import "github.com/miekg/dns"

// OPT returns the OPT record of a reply to r: nil when r has no EDNS;
// otherwise version 0, UDP size size (0: r's, as request.SizeAndDo sets it),
// r's DO bit, and the options opts.
func OPT(r *dns.Msg, size uint16, opts ...dns.EDNS0) *dns.OPT {
	ro := r.IsEdns0()
	if ro == nil {
		return nil
	}
	o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}, Option: opts}
	if size == 0 {
		size = ro.UDPSize()
	}
	o.SetUDPSize(size)
	if ro.Do() {
		o.SetDo()
	}
	return o
}

// Error returns a reply to r with rcode and the question echoed; with EDNS, an
// OPT carrying Extended DNS Error code and text.
func Error(r *dns.Msg, rcode int, size uint16, code uint16, text string) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(r, rcode)
	if o := OPT(r, size, &dns.EDNS0_EDE{InfoCode: code, ExtraText: text}); o != nil {
		m.Extra = []dns.RR{o}
	}
	return m
}

// HasOption reports whether m has an OPT record carrying an option of code.
func HasOption(m *dns.Msg, code uint16) bool {
	o := m.IsEdns0()
	if o == nil {
		return false
	}
	for _, e := range o.Option {
		if e.Option() == code {
			return true
		}
	}
	return false
}
