// Package recursionacl implements BIND's allow-recursion: every client gets
// authoritative data, only listed clients get recursion and the cache.
package recursionacl

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/tsig"

	"github.com/miekg/dns"
)

// RecursionACL is the recursionacl handler of one server block.
type RecursionACL struct {
	Next plugin.Handler

	zones zoneSet // queries outside these pass on unchecked
	auth  zoneSet // the `authoritative` zones; nil: what the plugins before the barrier answer
	drop  bool    // deny drop: a denied query gets no reply

	allow    atomic.Pointer[addrmatch.List]   // swapped when an allow-file changes
	labels   []string                         // the block's server metric labels
	counters atomic.Pointer[[]serverCounters] // see count

	// Set while the server builds the block's chain, see wiring.go.
	cfg      *dnsserver.Config
	local    plugin.Handler // the chain after cache: where a denied client's query goes
	barriers int            // barriers placed in the chain

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
	// Only queries ask for recursion: NOTIFY and UPDATE go on untouched (BIND's
	// allow-notify is a list of its own; their plugins check senders themselves).
	if r.Opcode != dns.OpcodeQuery || !h.zones.contains(r.Question[0].Name) {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	// Only a lookup the server makes for a query (file chasing a CNAME
	// through upstream.Lookup) carries the query's decision: a client's
	// own query is judged without looking for one.
	internal := client.Internal(ctx)
	var q *query
	if internal {
		q = queryOf(ctx)
		if q != nil && q.denied {
			// Made for a denied client's query: authoritative data
			// only, like the query itself.
			return h.denied(ctx, w, r, q, internal)
		}
	}
	if !h.allowed(ctx, w) {
		return h.denied(client.WithRecursion(ctx, false), w, r, nil, internal)
	}
	ctx = client.WithRecursion(ctx, true)
	if !internal && r.Question[0].Qclass != dns.ClassCHAOS {
		h.count(ctx, allowed)
	}
	if !r.RecursionDesired && q == nil && !internal {
		// BIND answers RD=0 from its cache and its own zones only.
		q = &query{qname: r.Question[0].Name, rd0: true}
		ctx = withQuery(ctx, q)
	}
	return h.serve(ctx, h.Next, w, r, q, true, internal)
}

// denied sends a denied client's query past cache to the authoritative
// plugins; the barrier behind them refuses what they pass on.
func (h *RecursionACL) denied(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, q *query, internal bool) (int, error) {
	question := &r.Question[0]
	// CH queries are outside recursion (chaos and chaosmask answer them):
	// they go on like authoritative data, uncounted, with nothing fetched.
	chaos := question.Qclass == dns.ClassCHAOS
	if !chaos && h.auth != nil && !h.auth.contains(question.Name) {
		if !internal {
			h.count(ctx, denied)
		}
		if q == nil {
			own := query{qname: question.Name, denied: true} // needed by no one else: not in ctx
			return h.refuse(ctx, w, r, &own)
		}
		return h.refuse(ctx, w, r, q)
	}
	if q == nil {
		q = &query{qname: question.Name, denied: true}
		ctx = withQuery(ctx, q)
	}
	rcode, err := h.serve(ctx, h.local, w, r, q, false, internal)
	if !internal && !chaos {
		if q.refused {
			h.count(ctx, denied)
		} else {
			h.count(ctx, authoritative)
		}
	}
	return rcode, err
}

// refuse answers a denied query that no local data answers (REFUSED with EDE
// 18, or nothing with deny drop) and logs it; an internal lookup gets no reply,
// so the plugin that asked keeps what it holds.
func (h *RecursionACL) refuse(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, q *query) (int, error) {
	chaos := r.Question[0].Qclass == dns.ClassCHAOS
	if client.Internal(ctx) {
		q.chased = true
		if h.denials != nil && r.RecursionDesired && !chaos {
			h.denials.log(ctx, w, r, q.qname)
		}
		return dns.RcodeRefused, nil
	}
	q.refused = true
	if h.denials != nil && !chaos {
		h.denials.log(ctx, w, r, r.Question[0].Name)
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

// refusal is BIND's reply to a denied query: REFUSED, question echoed, RA=0,
// and with EDNS an OPT with EDE 18 (Prohibited).
func refusal(r *dns.Msg) *dns.Msg {
	return dnsreply.Error(r, dns.RcodeRefused, dns.DefaultMsgSize, dns.ExtendedErrorCodeProhibited, "")
}

// serve sends r down the chain from next with RA set to ra. A plugin that
// fails without writing leaves the reply to the server, which would not set RA,
// so recursionacl writes it (except for internal lookups, whose caller wants the rcode).
// An unanswered RD=0 query is answered here, above cache, so cache never stores it.
func (h *RecursionACL) serve(ctx context.Context, next plugin.Handler, w dns.ResponseWriter, r *dns.Msg, q *query, ra, internal bool) (int, error) {
	rw := &raWriter{Writer: dnsreply.Writer{ResponseWriter: w}, ra: ra}
	if q != nil && q.denied && !internal && r.IsEdns0() != nil {
		rw.chased = &q.chased
	}
	rcode, err := plugin.NextOrFailure(h.Name(), next, ctx, rw, r)
	if !plugin.ClientWrite(rcode) && !rw.written && !internal {
		if q != nil && q.miss {
			rw.WriteMsg(cacheMiss(r))
		} else {
			rw.WriteMsg(new(dns.Msg).SetRcode(r, rcode))
		}
		rcode = dns.RcodeSuccess
	}
	return rcode, err
}

// allowed matches the client against the allow list.
func (h *RecursionACL) allowed(ctx context.Context, w dns.ResponseWriter) bool {
	addr, ok := client.Addr(w)
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
