// Package recursionacl implements BIND's allow-recursion for CoreDNS: every
// client gets the server's authoritative data, only listed clients get
// recursion and the cache, and a denied query is answered with a small
// REFUSED (or nothing) so the server is never an amplifier.
package recursionacl

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/tsig"

	"github.com/miekg/dns"
	ot "github.com/opentracing/opentracing-go"
)

// RecursionACL is the recursionacl handler of one server block.
type RecursionACL struct {
	Next plugin.Handler

	zones zoneSet // queries outside these pass on unchecked
	drop  bool    // deny drop: a denied query gets no reply

	allow    atomic.Pointer[addrmatch.List]   // swapped when an allow-file changes
	labels   []string                         // the block's server metric labels
	counters atomic.Pointer[[]serverCounters] // see count

	// Set at startup from the chain, see authority.go.
	auth  []source       // where authoritative data comes from
	local plugin.Handler // the chain after cache: authoritative data, never the cache

	denials *denialLog // nil without log
}

var _ plugin.Handler = (*RecursionACL)(nil)

// Name implements plugin.Handler.
func (h *RecursionACL) Name() string { return pluginName }

// ServeDNS implements plugin.Handler.
func (h *RecursionACL) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) == 0 {
		return dns.RcodeFormatError, nil // the server writes it
	}
	// Only queries ask for recursion. NOTIFY and UPDATE go on untouched: a
	// primary's NOTIFY to stubzones or secondary is not recursion (BIND's
	// allow-notify is a list of its own), and the plugins that take them
	// check their senders themselves.
	if r.Opcode != dns.OpcodeQuery || !h.zones.contains(r.Question[0].Name) {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	if !h.allowed(ctx, w) {
		return h.denied(ctx, w, r)
	}
	if r.Question[0].Qclass != dns.ClassCHAOS && !reentered(ctx) {
		h.count(ctx, allowed)
	}
	return h.pass(ctx, h.Next, w, r, true)
}

// denied serves a client the list does not allow.
func (h *RecursionACL) denied(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	q := &r.Question[0]
	// lq is set when this is a lookup made for a denied client's query for
	// authoritative data (file chasing an out-of-zone CNAME).
	lq := localOf(ctx)
	inner := lq != nil || reentered(ctx)

	// CH queries are outside recursion (chaos and chaosmask answer them);
	// like authoritative data they go on, with nothing fetched.
	if q.Qclass == dns.ClassCHAOS || h.authoritative(ctx, w, r) {
		if lq == nil {
			ctx = withLocal(ctx, &local{qname: q.Name})
		}
		if !inner && q.Qclass != dns.ClassCHAOS {
			h.count(ctx, authoritative)
		}
		return h.pass(ctx, h.local, w, r, false)
	}

	if inner {
		// Refused, so the outer answer keeps only what the plugin holds;
		// logged as BIND logs it, with the client's own query name in the
		// prefix, and only for RD=1 queries as BIND does.
		if h.denials != nil && r.RecursionDesired && (lq == nil || !lq.probe) {
			qname := q.Name
			if lq != nil {
				qname = lq.qname
			}
			h.denials.log(ctx, w, r, qname)
		}
		return dns.RcodeRefused, nil
	}

	h.count(ctx, denied)
	if h.denials != nil {
		h.denials.log(ctx, w, r, q.Name)
	}
	if h.drop {
		if _, tcp := w.RemoteAddr().(*net.TCPAddr); tcp {
			// The TCP handshake proved the address; closing spares the
			// client its timeout and the server the idle connection.
			w.Close()
		}
		return dns.RcodeSuccess, nil
	}
	w.WriteMsg(refusal(r))
	return dns.RcodeSuccess, nil
}

// pass sends r down the chain from next, with RA forced to ra in the reply,
// and writes the reply held (see raWriter). A plugin that fails without
// writing (SERVFAIL, REFUSED...) leaves the reply to the server, which would
// not set RA: recursionacl writes it.
//
// next is called directly, not through plugin.NextOrFailure, unless the
// query is traced (NextOrFailure makes the span): its 216-byte frame, on top
// of recursionacl's, would cost a stack copy per query (see raWriter).
func (h *RecursionACL) pass(ctx context.Context, next plugin.Handler, w dns.ResponseWriter, r *dns.Msg, ra bool) (int, error) {
	rw := newRAWriter(w, r, ra)
	var (
		rcode int
		err   error
	)
	if next != nil && ot.SpanFromContext(ctx) == nil {
		rcode, err = next.ServeDNS(ctx, rw, r)
	} else {
		rcode, err = plugin.NextOrFailure(h.Name(), next, ctx, rw, r)
	}
	if !plugin.ClientWrite(rcode) && !rw.written {
		failed(rw, r, rcode)
		rcode = dns.RcodeSuccess
	}
	rw.flush()
	return rcode, err
}

// failed writes the reply of a plugin that failed without writing.
func failed(w dns.ResponseWriter, r *dns.Msg, rcode int) {
	m := new(dns.Msg)
	m.SetRcode(r, rcode)
	w.WriteMsg(m)
}

// allowed matches the client against the allow list.
func (h *RecursionACL) allowed(ctx context.Context, w dns.ResponseWriter) bool {
	addr, ok := clientAddr(w.RemoteAddr())
	if !ok {
		return false
	}
	list := h.allow.Load()
	key := ""
	if list.UsesKeys() {
		key, _ = tsig.ValidatedKeyName(ctx) // set only when tsig verified the signature
	}
	return list.Match(addr, key)
}

// authoritative reports whether r is answered from data held in this server
// block.
func (h *RecursionACL) authoritative(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) bool {
	qname := lower(r.Question[0].Name)
	for _, s := range h.auth {
		if s.answers(ctx, w, r, qname) {
			return true
		}
	}
	return false
}

// clientAddr is the packet's source address (after PROXY protocol, which
// rewrites RemoteAddr), IPv4-mapped IPv6 as IPv4.
func clientAddr(a net.Addr) (netip.Addr, bool) {
	var ip net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	default:
		if a == nil {
			return netip.Addr{}, false
		}
		ap, err := netip.ParseAddrPort(a.String())
		return ap.Addr().Unmap(), err == nil
	}
	addr, ok := netip.AddrFromSlice(ip)
	return addr.Unmap(), ok
}

// reentered reports whether this query is one the server makes to itself
// on a client's behalf (file and rewrite chasing a CNAME through
// upstream.Lookup count their depth in LoopKey) rather than one a client
// sent.
func reentered(ctx context.Context) bool {
	loop, _ := ctx.Value(dnsserver.LoopKey{}).(int)
	return loop > 0
}

// lower returns s in lower case, allocating only when s has upper case
// ASCII letters.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
