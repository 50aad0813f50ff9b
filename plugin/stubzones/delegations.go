package stubzones

import (
	"context"
	"fmt"
	"strings"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/nonwriter"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"

	"github.com/corebind/corebind/plugin/pkg/client"
)

// Delegations turns a zone's referral into the answer for clients allowed
// recursion, resolving through the delegated servers (or forward), as BIND does.
type Delegations struct {
	Next plugin.Handler

	zones   []string       // parent zones whose referrals are followed, lower case
	opts    *options       // max-depth and port of the delegated servers
	forward bool           // hand the query to forward instead (BIND's forward only)
	fwd     plugin.Handler // the block's forward, set at startup when forward
	res     *Stubzones     // resolver state: upstream, server health, clock
}

var _ plugin.Handler = (*Delegations)(nil)

// newDelegations returns a handler following delegations of zones.
func newDelegations(zones []string, o *options, forward bool) *Delegations {
	return &Delegations{zones: zones, opts: o, forward: forward, res: New()}
}

// Name implements plugin.Handler.
func (d *Delegations) Name() string { return delegationsName }

// ServeDNS implements plugin.Handler: a writer holds back a referral only,
// which is then resolved.
func (d *Delegations) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	parent := d.follows(ctx, r)
	if parent == "" {
		return plugin.NextOrFailure(d.Name(), d.Next, ctx, w, r)
	}
	hw := &referralWriter{Writer: dnsreply.Writer{ResponseWriter: w}, parent: parent, qname: r.Question[0].Name, qtype: r.Question[0].Qtype}
	rcode, err := plugin.NextOrFailure(d.Name(), d.Next, ctx, hw, r)
	if hw.held == nil {
		return rcode, err
	}
	return d.follow(ctx, w, r, hw.held, hw.cut)
}

// follows returns the zone whose referrals are followed for r (a standard IN
// RD=1 non-transfer query from a client allowed recursion), or "".
func (d *Delegations) follows(ctx context.Context, r *dns.Msg) string {
	if r.Opcode != dns.OpcodeQuery || !r.RecursionDesired || len(r.Question) != 1 {
		return ""
	}
	q := r.Question[0]
	if q.Qclass != dns.ClassINET || q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR {
		return ""
	}
	// Without recursionacl every client may recurse here (as with cache and forward).
	if allowed, decided := client.Recursion(ctx); decided && !allowed || ctx.Err() != nil {
		return ""
	}
	return plugin.Zones(d.zones).Matches(strings.ToLower(q.Name))
}

// follow answers r in place of the held referral, via the delegated servers or forward.
func (d *Delegations) follow(ctx context.Context, w dns.ResponseWriter, r, ref *dns.Msg, cut string) (int, error) {
	// recursionacl cancels a denied client's context so nothing does network work:
	// such a client keeps the referral, as in BIND.
	if ctx.Err() != nil {
		w.WriteMsg(ref)
		return dns.RcodeSuccess, nil
	}
	state := request.Request{W: w, Req: r}
	chain, target := cnameChain(ref.Answer, r.Question[0].Name)
	// The zone label: the configured zone holding cut (cut is below parent).
	label := plugin.Zones(d.zones).Matches(cut)
	count := func(result string) { delegationCount.WithLabelValues(serverOf(ctx), label, result).Inc() }
	if d.forward {
		return d.viaForward(ctx, state, ref, chain, target, count)
	}
	// The addresses are this server's own data, in or out of the cut.
	set := newNSSet(cut, ref.Ns, ref.Extra, d.opts.port)
	if len(set.names) == 0 {
		w.WriteMsg(ref)
		return dns.RcodeSuccess, nil
	}
	z := &zone{name: cut, opts: d.opts}
	res, err := d.res.lookupName(ctx, state, z, set, target, label)
	if err != nil {
		count("failed")
		return resolveFailed(state, z, err)
	}
	count("resolved")
	// AA stays as the zone set it: on for an in-zone CNAME chain (the first
	// answer record is ours), off for a bare referral, as BIND does.
	return reply(state, ref.Authoritative, res.rcode, append(chain, res.answer...), res.ns, nil)
}

// viaForward hands the query (or its in-zone CNAME target) to forward; the
// reply is rebuilt with the chain first and AA only as the zone set it.
func (d *Delegations) viaForward(ctx context.Context, state request.Request, ref *dns.Msg, chain []dns.RR, target string, count func(result string)) (int, error) {
	nw := nonwriter.New(state.W)
	q := state.NewWithQuestion(target, state.QType())
	rcode, err := d.fwd.ServeDNS(ctx, nw, q.Req)
	if nw.Msg == nil {
		if err == nil {
			err = fmt.Errorf("forward wrote no reply (rcode %s)", rcodeLabel(rcode))
		}
		count("failed")
		return servfail(state, dns.ExtendedErrorCodeOther, "forwarding failed", err)
	}
	count("forwarded")
	return reply(state, ref.Authoritative, nw.Msg.Rcode, append(chain, nw.Msg.Answer...), nw.Msg.Ns, nil)
}

// OnStartup finds the block's forward when the queries go there.
func (d *Delegations) OnStartup(fwd plugin.Handler) error {
	if !d.forward {
		return nil
	}
	if fwd == nil {
		return fmt.Errorf("%s: forward is set but this server block has no forward plugin: add `forward . ADDRESS` or drop the forward option", delegationsName)
	}
	d.fwd = fwd
	return nil
}

// referralWriter writes every reply at once but a referral for the name asked
// (or its in-zone CNAME target), held for follow.
type referralWriter struct {
	dnsreply.Writer
	parent string
	qname  string
	qtype  uint16

	held *dns.Msg
	cut  string
}

// WriteMsg implements dns.ResponseWriter.
func (w *referralWriter) WriteMsg(m *dns.Msg) error {
	if w.held == nil {
		// BIND does not follow the chain for CNAME and ANY queries.
		follow := len(m.Answer) == 0 || w.qtype != dns.TypeCNAME && w.qtype != dns.TypeANY
		if cut := referralCut(m, w.parent, w.qname); cut != "" && follow {
			w.held, w.cut = m, cut
			return nil
		}
	}
	return w.ResponseWriter.WriteMsg(m)
}

// referralCut returns the cut m refers to if m is a referral below parent for
// qname: NOERROR, RA=0, NS below parent and no SOA, answer empty or an in-zone CNAME chain.
func referralCut(m *dns.Msg, parent, qname string) string {
	if m.Rcode != dns.RcodeSuccess || len(m.Ns) == 0 || m.Truncated || m.RecursionAvailable {
		return ""
	}
	if len(m.Answer) == 0 && m.Authoritative {
		return ""
	}
	for _, rr := range m.Answer {
		if rr.Header().Rrtype != dns.TypeCNAME && rr.Header().Rrtype != dns.TypeRRSIG {
			return ""
		}
	}
	chain, target := cnameChain(m.Answer, qname)
	if len(m.Answer) > 0 && len(chain) == 0 {
		return ""
	}
	cut := ""
	for _, rr := range m.Ns {
		h := rr.Header()
		switch h.Rrtype {
		case dns.TypeSOA:
			return ""
		case dns.TypeNS:
			owner := strings.ToLower(h.Name)
			if cut == "" {
				cut = owner
			}
			if owner != cut || owner == parent || !dns.IsSubDomain(parent, owner) || !dns.IsSubDomain(owner, target) {
				return ""
			}
		}
	}
	return cut
}

// cnameChain returns answer's CNAME chain from qname and where it ends (lower case).
func cnameChain(answer []dns.RR, qname string) ([]dns.RR, string) {
	name := strings.ToLower(qname)
	var chain []dns.RR
	for len(chain) < len(answer) && len(chain) <= maxCNAMEs {
		c := findCNAME(answer, name)
		if c == nil {
			break
		}
		chain = append(chain, c)
		name = strings.ToLower(c.Target)
	}
	return chain, name
}
