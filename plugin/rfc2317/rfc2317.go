// Package rfc2317 implements classless in-addr.arpa delegation (RFC 2317) on
// the parent side (CNAMEs and NS) and the child side (original names answered).
package rfc2317

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/corebind/corebind/plugin/pkg/dnsreply"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/nonwriter"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

// defaultTTL applies when neither the ttl option nor a zone beside gives one.
const defaultTTL = 3600

// RFC2317 is the handler.
type RFC2317 struct {
	Next plugin.Handler
	*core
	counters atomic.Pointer[counters] // this server's, see count
}

var (
	_ plugin.Handler                          = (*RFC2317)(nil)
	_ transfer.Transferer                     = (*RFC2317)(nil)
	_ interface{ Authoritative(string) bool } = (*RFC2317)(nil)
)

// core is what the handlers of one server block share.
type core struct {
	*config
	table   table
	nsNames map[string]bool // every delegation's name servers
	watch   *watcher
}

func newCore(cfg *config) *core {
	c := &core{config: cfg, table: newTable(cfg.blocks), nsNames: map[string]bool{}}
	for _, b := range cfg.blocks {
		for _, ns := range b.ns {
			c.nsNames[ns] = true
		}
	}
	c.watch = newWatcher(c)
	return c
}

// Name implements plugin.Handler.
func (h *RFC2317) Name() string { return pluginName }

// Authoritative reports whether rfc2317 answers qname from its own data
// (CNAME owners, names at or below its child zones, child-side originals).
func (h *RFC2317) Authoritative(qname string) bool {
	switch k, _, _ := h.table.classify(strings.ToLower(dns.Fqdn(qname))); k {
	case kindCNAME, kindCut, kindChild:
		return true
	}
	return false
}

// ServeDNS implements plugin.Handler.
func (h *RFC2317) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if r.Opcode != dns.OpcodeQuery || len(r.Question) != 1 {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	q := r.Question[0]
	// Zone transfers go through the transfer plugin and Transfer below.
	if q.Qclass != dns.ClassINET || q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR || !underArpa(q.Name) {
		return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
	}
	qname := strings.ToLower(q.Name)
	k, b, octet := h.table.classify(qname)
	switch k {
	case kindCNAME, kindChild:
		return h.cname(ctx, w, r, b, octet, k)
	case kindCut:
		if b.r.Load().childHere {
			// This server holds the child zone too: answer from it, as
			// BIND does for a child zone it is authoritative for.
			return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
		}
		if q.Qtype == dns.TypeDS && qname == b.zone {
			// The DS of a child zone is parent-side data: the zone beside
			// holds it, or it does not exist (NODATA, not NXDOMAIN).
			return h.nextExisting(ctx, w, r)
		}
		return h.referral(ctx, w, r, b)
	case kindENT:
		return h.nextExisting(ctx, w, r)
	}
	return plugin.NextOrFailure(h.Name(), h.Next, ctx, w, r)
}

// cname answers an address's name with its CNAME. A BIND parent adds the
// child's NS and glue as the referral (its own NS for CNAME and ANY queries)
// and does not follow the target below the cut. When the child zone is served
// here too, the target's answer from the plugins after rfc2317 follows, as
// BIND's recursion would: for RD=1 from clients that may recurse, and for
// ANY; otherwise the CNAME comes alone, as BIND answers RD=0 queries and
// clients denied recursion. Child blocks always follow.
func (h *RFC2317) cname(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, b *block, octet uint8, k kind) (int, error) {
	rd := b.r.Load()
	q := r.Question[0]
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	cname := b.cnameRR(q.Name, octet, rd.ttl)
	m.Answer = []dns.RR{cname}
	switch {
	case k == kindCNAME && ownData(q.Qtype) && len(rd.apexNS) > 0:
		m.Ns, m.Extra = rd.apexNS, rd.apexGlue
	case k == kindCNAME && !rd.childHere:
		m.Ns, m.Extra = rd.ns, rd.glue
	case k == kindCNAME && !ownData(q.Qtype) && !mayChase(ctx, r):
		// the CNAME alone
	case q.Qtype != dns.TypeCNAME && h.Next != nil:
		h.follow(ctx, w, r, m, cname.Target)
	}
	w.WriteMsg(m)
	h.count(ctx, k)
	return m.Rcode, nil
}

// mayChase reports whether to follow the CNAME into a child zone served here:
// BIND does so through recursion, so only for RD=1 from clients that may recurse.
func mayChase(ctx context.Context, r *dns.Msg) bool {
	if !r.RecursionDesired {
		return false
	}
	allowed, decided := client.Recursion(ctx)
	return allowed || !decided
}

// ownData reports whether qtype asks for the CNAME itself, answered with the
// parent's own NS in authority as BIND does.
func ownData(qtype uint16) bool { return qtype == dns.TypeCNAME || qtype == dns.TypeANY }

// referral answers a name at or below a child zone.
func (h *RFC2317) referral(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, b *block) (int, error) {
	rd := b.r.Load()
	m := new(dns.Msg)
	m.SetReply(r)
	m.Ns = rd.ns
	m.Extra = rd.glue
	w.WriteMsg(m)
	h.count(ctx, kindCut)
	return dns.RcodeSuccess, nil
}

// follow adds to m the answer of the plugins after rfc2317 for target, when
// they have one.
func (h *RFC2317) follow(ctx context.Context, w dns.ResponseWriter, r, m *dns.Msg, target string) {
	sub := new(dns.Msg)
	sub.SetQuestion(target, r.Question[0].Qtype)
	sub.Id = r.Id
	sub.RecursionDesired = r.RecursionDesired
	sub.CheckingDisabled = r.CheckingDisabled
	if o := r.IsEdns0(); o != nil {
		sub.Extra = []dns.RR{o} // the client's DO bit and buffer size
	}
	nw := nonwriter.New(w)
	_, err := h.Next.ServeDNS(ctx, nw, sub)
	if a := nw.Msg; err == nil && a != nil && (a.Rcode == dns.RcodeSuccess || a.Rcode == dns.RcodeNameError) {
		m.Rcode = a.Rcode
		m.Answer = append(m.Answer, a.Answer...)
		m.Ns = a.Ns
		m.Extra = slices.DeleteFunc(slices.Clone(a.Extra), func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeOPT })
	}
}

// nextExisting turns the next plugin's NXDOMAIN into NODATA for a name that
// exists only through synthesized names below it (or a DS at a cut).
func (h *RFC2317) nextExisting(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	rc, err := plugin.NextOrFailure(h.Name(), h.Next, ctx, &existWriter{Writer: dnsreply.Writer{ResponseWriter: w}}, r)
	if rc == dns.RcodeNameError {
		rc = dns.RcodeSuccess
	}
	return rc, err
}

// existWriter turns NXDOMAIN into NOERROR on a copy (the writer may keep the original).
type existWriter struct{ dnsreply.Writer }

func (w *existWriter) WriteMsg(m *dns.Msg) error {
	if m.Rcode == dns.RcodeNameError {
		c := *m
		c.Rcode = dns.RcodeSuccess
		m = &c
	}
	return w.ResponseWriter.WriteMsg(m)
}

// cnameRR is the CNAME for octet with the owner as the client spelled it.
func (b *block) cnameRR(owner string, octet uint8, ttl uint32) *dns.CNAME {
	return &dns.CNAME{
		Hdr:    dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl},
		Target: b.target(octet),
	}
}
