package recursionacl

import (
	"context"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/coredns/coredns/plugin"

	"github.com/miekg/dns"
)

// barrier sits between the plugins holding local data and those fetching
// elsewhere: queries that may go on pass (AA adjusted), the others end here.
type barrier struct {
	Next plugin.Handler
	h    *RecursionACL
	name string

	local    bool // denied clients stop here; AA is cleared on what comes back from behind
	cacheful bool // allowed clients' RD=0 queries stop here
}

var _ plugin.Handler = (*barrier)(nil)

// Name implements plugin.Handler.
func (b *barrier) Name() string { return b.name }

// ServeDNS implements plugin.Handler.
func (b *barrier) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if q := queryOf(ctx); q != nil {
		if q.denied && b.local {
			return b.h.refuse(ctx, w, r, q)
		}
		if q.rd0 && b.cacheful {
			// Unwritten, so that cache, above, keeps nothing of it:
			// recursionacl writes the reply (serve).
			q.miss = true
			return dns.RcodeRefused, nil
		}
	}
	if b.local && r.Opcode == dns.OpcodeQuery {
		// Nothing from behind this point is our own data: BIND sets AA
		// only on data from its own zones. (Other opcodes, such as a
		// NOTIFY for stubzones, are left as their plugin answers them.)
		w = &aaWriter{Writer: dnsreply.Writer{ResponseWriter: w}}
	}
	return plugin.NextOrFailure(b.name, b.Next, ctx, w, r)
}

// aaWriter clears the AA bit of the replies written through it.
type aaWriter struct{ dnsreply.Writer }

// WriteMsg implements dns.ResponseWriter, on a copy when AA must change.
func (w *aaWriter) WriteMsg(m *dns.Msg) error {
	if m.Authoritative {
		c := *m
		c.Authoritative = false
		m = &c
	}
	return w.ResponseWriter.WriteMsg(m)
}

// Write implements dns.ResponseWriter for packed messages (AA: bit 2 of byte 2).
func (w *aaWriter) Write(b []byte) (int, error) {
	if len(b) >= 3 && b[2]&0x04 != 0 {
		b = append([]byte(nil), b...)
		b[2] &^= 0x04
	}
	return w.ResponseWriter.Write(b)
}

// cacheMiss answers an allowed RD=0 query nothing local answers: BIND's
// NOERROR upward referral, with an empty authority (CoreDNS has no root hints).
func cacheMiss(r *dns.Msg) *dns.Msg {
	m := new(dns.Msg).SetReply(r)
	if o := dnsreply.OPT(r, dns.DefaultMsgSize); o != nil {
		m.Extra = []dns.RR{o}
	}
	return m
}
