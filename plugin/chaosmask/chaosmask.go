// Package chaosmask answers CH-class identity queries itself and strips EDNS
// NSID, so scanners learn nothing while clients in reveal still can.
package chaosmask

import (
	"context"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/corebind/corebind/plugin/pkg/dnsreply"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/miekg/dns"
)

// Chaosmask is the handler; all but Next is shared read-only by the block's servers.
type Chaosmask struct {
	Next plugin.Handler

	replies  [nameOther + 1]reply // per identity name; the others' action is actNone or actRefuse
	hideNSID bool
	reveal   *addrmatch.List // clients that see the real answers; nil: nobody

	// othersOpen reports whether another plugin of this server block
	// (chaos, forward) opens CoreDNS to non-IN classes; nil means none does.
	othersOpen func() bool
}

var _ plugin.Handler = (*Chaosmask)(nil)

// ServeDNS implements plugin.Handler. Internal lookups pass untouched and
// uncounted: the client's own query is judged once.
func (cm *Chaosmask) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) == 0 {
		return plugin.NextOrFailure(cm.Name(), cm.Next, ctx, w, r)
	}
	// An IN query without NSID, most traffic, is decided without a look
	// into the context.
	if r.Question[0].Qclass == dns.ClassINET {
		if cm.hideNSID && hasNSID(r) && !client.Internal(ctx) && !cm.revealed(ctx, w, r) {
			w = &nsidHider{dnsreply.Writer{ResponseWriter: w}}
		}
		return plugin.NextOrFailure(cm.Name(), cm.Next, ctx, w, r)
	}
	if client.Internal(ctx) {
		return plugin.NextOrFailure(cm.Name(), cm.Next, ctx, w, r)
	}
	return cm.serveNonIN(ctx, w, r)
}

// serveNonIN handles CH itself and other classes as CoreDNS would without chaosmask.
func (cm *Chaosmask) serveNonIN(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	q := &r.Question[0]
	revealed := cm.revealed(ctx, w, r)
	if q.Qclass != dns.ClassCHAOS {
		if !cm.nonINWelcome() {
			return dns.RcodeRefused, nil
		}
		if cm.hideNSID && !revealed && hasNSID(r) {
			w = &nsidHider{dnsreply.Writer{ResponseWriter: w}}
		}
		return plugin.NextOrFailure(cm.Name(), cm.Next, ctx, w, r)
	}

	idx := nameOther
	if r.Opcode == dns.OpcodeQuery {
		idx = nameIndex(q.Name)
	}
	if revealed {
		queriesTotal.WithLabelValues(metrics.WithServer(ctx), nameLabels[idx], "revealed").Inc()
		if !cm.nonINWelcome() {
			return dns.RcodeRefused, nil
		}
		return plugin.NextOrFailure(cm.Name(), cm.Next, ctx, w, r)
	}

	rep := cm.replies[idx]
	if rep.action == actText && q.Qtype != dns.TypeTXT && q.Qtype != dns.TypeANY {
		rep.action = actNone // the name exists, the type does not: NODATA
	}
	queriesTotal.WithLabelValues(metrics.WithServer(ctx), nameLabels[idx], rep.action.String()).Inc()
	w.WriteMsg(answer(r, rep))
	return dns.RcodeSuccess, nil
}

// nonINWelcome reports whether another plugin of the block (chaos, forward)
// opens the server to non-IN classes; otherwise chaosmask refuses what it does not answer.
func (cm *Chaosmask) nonINWelcome() bool { return cm.othersOpen != nil && cm.othersOpen() }

// answer builds chaosmask's own reply: TTL 0, class CH, AA clear (as NSD
// does: nothing here is authoritative data), the question echoed as asked.
func answer(r *dns.Msg, rep reply) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(r)
	switch rep.action {
	case actRefuse:
		m.Rcode = dns.RcodeRefused
	case actText:
		hdr := dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassCHAOS, Ttl: 0}
		m.Answer = make([]dns.RR, len(rep.txt))
		for i, t := range rep.txt {
			m.Answer[i] = &dns.TXT{Hdr: hdr, Txt: t}
		}
	}
	if ro := r.IsEdns0(); ro != nil {
		var opts []dns.EDNS0
		if rep.action == actRefuse {
			opts = []dns.EDNS0{&dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeProhibited}}
		}
		m.Extra = []dns.RR{dnsreply.OPT(r, max(ro.UDPSize(), dns.MinMsgSize), opts...)}
	}
	return m
}

// revealed reports whether the client is in reveal by address or by a TSIG
// key the server verified (a listener without keys verifies nothing).
func (cm *Chaosmask) revealed(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) bool {
	if cm.reveal == nil {
		return false
	}
	addr, ok := client.Addr(w)
	return ok && cm.reveal.Match(addr, client.VerifiedKey(ctx, w, r))
}

// Name implements plugin.Handler.
func (cm *Chaosmask) Name() string { return pluginName }
