package recursionacl

import (
	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/miekg/dns"
)

// refusal is the reply to a denied query, as BIND sends it: REFUSED, the
// question echoed, RA=0, no records; when the query had EDNS, an OPT with
// Extended DNS Error 18 (Prohibited) and no extra text. It is at most 6
// bytes longer than the query: the query's OPT takes at least 11 bytes,
// this one 17.
func refusal(r *dns.Msg) *dns.Msg {
	return dnsreply.Error(r, dns.RcodeRefused, dns.DefaultMsgSize, dns.ExtendedErrorCodeProhibited, "")
}
