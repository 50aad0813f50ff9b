// Package rrl is BIND 9's response rate limiting, which keeps an authoritative
// server from amplifying spoofed queries.
package rrl

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/corebind/corebind/plugin/pkg/logsink"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/miekg/dns"
)

// RRL is the rrl plugin.
type RRL struct {
	Next   plugin.Handler
	zones  []string
	exempt *addrmatch.List // nil: nobody
	lim    *limiter
	log    *logsink.Queue[event] // nil: no rate-limit log

	now      func() int64 // the current second; tests set their own
	gaugeAt  atomic.Int64 // the second the table size metric was last set
	counters sync.Map     // server label -> *counters
}

var _ plugin.Handler = (*RRL)(nil)

// Name implements plugin.Handler.
func (h *RRL) Name() string { return pluginName }

// ServeDNS implements plugin.Handler; judged queries get a writer that judges the response.
func (h *RRL) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) != 1 || r.Opcode != dns.OpcodeQuery || client.Internal(ctx) {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	zone := plugin.Zones(h.zones).Matches(r.Question[0].Name)
	if zone == "" {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	addr, ok := client.Addr(w)
	if !ok {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	_, tcp := w.RemoteAddr().(*net.TCPAddr)
	if (tcp && h.lim.s.qpsScale == 0) || (h.exempt != nil && h.exempt.Match(addr, "")) || hasECS(r) {
		// TCP is never limited (a spoofed source cannot complete the
		// handshake), exempt clients never are, and BIND does not rate
		// limit queries carrying a client subnet (EDNS ECS).
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	rw := &writer{Writer: dnsreply.Writer{ResponseWriter: w}, h: h, ctx: ctx, addr: addr, tcp: tcp, zone: zone}
	rc, err := plugin.NextOrFailure(h.Name(), h.Next, ctx, rw, r)
	if !rw.judged && !plugin.ClientWrite(rc) {
		// The server would write this error reply itself, past rrl: write
		// it here so it is accounted (and limited) as BIND limits errors.
		m := new(dns.Msg)
		m.SetRcode(r, rc)
		rw.WriteMsg(m)
		return dns.RcodeSuccess, err
	}
	return rc, err
}

// hasECS reports an EDNS client-subnet option in r.
func hasECS(r *dns.Msg) bool { return dnsreply.HasOption(r, dns.EDNS0SUBNET) }

// judge accounts the response m to the client and says what to send.
func (h *RRL) judge(ctx context.Context, addr netip.Addr, tcp bool, zone string, m *dns.Msg) verdict {
	q := classify(m, zone)
	q.addr, q.tcp = addr, tcp
	now := h.now()
	v := h.lim.account(now, &q)
	if tcp {
		return pass
	}
	server := metrics.WithServer(ctx)
	countResponse(&h.counters, server, q.class, v, h.lim.s.logOnly)
	if h.gaugeAt.Swap(now) != now {
		tableEntries.WithLabelValues(server).Set(float64(h.lim.t.Len()))
	}
	if h.lim.s.logOnly {
		return pass
	}
	return v
}

func unixNow() int64 { return time.Now().Unix() }

// classify finds the response's class and account name as BIND does: qname
// for answers and NODATA, the zone for NXDOMAIN, the cut for referrals.
func classify(m *dns.Msg, zone string) query {
	q := query{rcode: m.Rcode}
	if len(m.Question) == 1 {
		q.name, q.qtype, q.qclass = m.Question[0].Name, m.Question[0].Qtype, m.Question[0].Qclass
	}
	switch m.Rcode {
	case dns.RcodeSuccess:
		if len(m.Answer) > 0 {
			q.class = classResponse
			return q
		}
		if !m.Authoritative {
			if ns := firstOf(m.Ns, dns.TypeNS); ns != "" {
				q.class, q.name = classReferral, ns
				return q
			}
		}
		// NODATA stays keyed by the query name: BIND 9.18 does so (checked
		// side by side in e2e); only NXDOMAIN is keyed by the zone.
		q.class = classNodata
	case dns.RcodeNameError:
		// Keyed by the zone: the owner of the SOA in authority, if any.
		q.class, q.name = classNxdomain, zone
		if soa := firstOf(m.Ns, dns.TypeSOA); soa != "" {
			q.name = soa
		}
	default:
		q.class, q.name = classError, ""
	}
	return q
}

func firstOf(rrs []dns.RR, t uint16) string {
	for _, rr := range rrs {
		if h := rr.Header(); h.Rrtype == t {
			return h.Name
		}
	}
	return ""
}

// slipped is BIND's slip reply: header, question, TC=1, only the OPT; NXDOMAIN
// stays, other rcodes become NOERROR.
func slipped(m *dns.Msg) *dns.Msg {
	s := new(dns.Msg)
	s.MsgHdr = m.MsgHdr
	s.Truncated = true
	if s.Rcode != dns.RcodeNameError {
		s.Rcode = dns.RcodeSuccess
	}
	s.Question = m.Question
	if opt := m.IsEdns0(); opt != nil {
		o := *opt
		o.Option = nil
		o.SetExtendedRcode(uint16(s.Rcode))
		s.Extra = []dns.RR{&o}
	}
	return s
}
