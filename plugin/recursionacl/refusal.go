package recursionacl

import "github.com/miekg/dns"

// refusal is the reply to a denied query, as BIND sends it: REFUSED, the
// question echoed, RA=0, no records; when the query had EDNS, an OPT with
// Extended DNS Error 18 (Prohibited) and no extra text. It is at most 6
// bytes longer than the query: the query's OPT takes at least 11 bytes,
// this one 17.
func refusal(r *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(r, dns.RcodeRefused)
	if o := r.IsEdns0(); o != nil {
		opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		opt.SetUDPSize(dns.DefaultMsgSize)
		if o.Do() {
			opt.SetDo()
		}
		opt.Option = []dns.EDNS0{&dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeProhibited}}
		m.Extra = []dns.RR{opt}
	}
	return m
}
