package recursionacl

import (
	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/miekg/dns"
)

// refusal is BIND's reply to a denied query: REFUSED, question echoed, RA=0,
// and with EDNS an OPT with EDE 18 (Prohibited).
func refusal(r *dns.Msg) *dns.Msg {
	return dnsreply.Error(r, dns.RcodeRefused, dns.DefaultMsgSize, dns.ExtendedErrorCodeProhibited, "")
}
