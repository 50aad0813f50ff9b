package stubzones

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// Bounds on the work one client query can cause.
const (
	maxQueries     = 48              // messages sent, across nested lookups
	maxLookups     = 16              // lookups through the server (NS addresses, CNAME targets)
	maxNesting     = 4               // such lookups inside one another
	maxCNAMEs      = 8               // CNAMEs followed inside stub zones
	resolveTimeout = 4 * time.Second // whole resolution of one client query
)

// budget is one client query's remaining work; in the context, so lookups
// re-entering the server through upstream share it.
type budget struct {
	queries int
	lookups int
	nesting int
}

type budgetKey struct{}

var (
	errBudget      = errors.New("query budget exhausted")
	errUnreachable = errors.New("no name server answered")
)

// resolveFailed writes the SERVFAIL of a resolution in z that failed.
func resolveFailed(state request.Request, z *zone, err error) (int, error) {
	if errors.Is(err, errUnreachable) {
		return servfail(state, dns.ExtendedErrorCodeNoReachableAuthority, fmt.Sprintf("no name server of %s answered", z.name), err)
	}
	return servfail(state, dns.ExtendedErrorCodeOther, err.Error(), err)
}

// lookupName resolves qname through top, the servers of z, on the budget of
// the client query in ctx; label is the zone label of its metrics.
func (s *Stubzones) lookupName(ctx context.Context, state request.Request, z *zone, top *nsSet, qname, label string) (*result, error) {
	b, nested := ctx.Value(budgetKey{}).(*budget)
	if nested {
		if b.nesting >= maxNesting {
			return nil, errors.New("too many nested lookups")
		}
		b.nesting++
		defer func() { b.nesting-- }()
	} else {
		b = &budget{queries: maxQueries, lookups: maxLookups}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithValue(ctx, budgetKey{}, b), resolveTimeout)
		defer cancel()
	}

	l := &lookup{
		s: s, z: z, top: top, state: state, ctx: ctx, budget: b,
		do:    state.Do(),
		count: s.upstreamCounter(serverOf(ctx), label),
	}
	return l.run(qname, state.QType())
}

// lookup is the state of one resolution.
type lookup struct {
	s      *Stubzones
	z      *zone
	top    *nsSet
	state  request.Request
	ctx    context.Context
	budget *budget
	do     bool
	count  func(rcode string)
}

type result struct {
	rcode  int
	answer []dns.RR
	ns     []dns.RR
}

func (l *lookup) run(qname string, qtype uint16) (*result, error) {
	ns, name := l.top, qname
	res := &result{}
	depth, cnames := 0, 0
	for {
		v, err := l.ask(ns, name, qtype)
		if err != nil {
			return nil, err
		}
		res.answer = append(res.answer, v.answer...)
		if cnames += v.cnames; cnames > maxCNAMEs {
			return nil, fmt.Errorf("more than %d CNAMEs", maxCNAMEs)
		}
		switch v.kind {
		case final:
			res.rcode, res.ns = v.rcode, v.auth
			return res, nil
		case referral:
			if depth++; depth > l.z.opts.maxDepth {
				return nil, fmt.Errorf("more than max-depth %d referrals", l.z.opts.maxDepth)
			}
			ns, name = v.next, v.name
		case restart:
			name = v.name
			if !dns.IsSubDomain(l.z.name, name) {
				return l.outside(res, name, qtype)
			}
			if !dns.IsSubDomain(ns.cut, name) {
				ns = l.top
			}
		}
	}
}

// lookupThrough asks the server itself, if the budget allows one more lookup.
func (l *lookup) lookupThrough(name string, qtype uint16) (*dns.Msg, error) {
	if l.budget.lookups <= 0 || l.budget.nesting >= maxNesting {
		return nil, errBudget
	}
	l.budget.lookups--
	return l.s.up.Lookup(l.ctx, l.state, name, qtype)
}

// outside hands a CNAME target outside the stub zone back to the server.
func (l *lookup) outside(res *result, name string, qtype uint16) (*result, error) {
	m, err := l.lookupThrough(name, qtype)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("no answer for CNAME target %s", name)
	}
	res.answer = append(res.answer, m.Answer...)
	res.rcode, res.ns = m.Rcode, m.Ns
	return res, nil
}

// ask queries ns's known addresses (recent failures last), then out-of-cut
// name servers looked up through the server, until a reply is usable.
func (l *lookup) ask(ns *nsSet, name string, qtype uint16) (*verdict, error) {
	var errs []error
	try := func(addrs []netip.AddrPort) *verdict {
		for _, a := range addrs {
			if l.budget.queries <= 0 || l.ctx.Err() != nil {
				return nil
			}
			v, err := l.query(ns, a, name, qtype)
			if err == nil {
				return v
			}
			errs = append(errs, err)
		}
		return nil
	}
	if v := try(l.order(ns.known())); v != nil {
		return v, nil
	}
	for _, n := range ns.names {
		// A name server inside the cut without an address cannot be
		// looked up without asking the cut's own servers.
		if len(ns.addrs[n]) > 0 || dns.IsSubDomain(ns.cut, n) {
			continue
		}
		if v := try(l.order(l.addrsOf(n))); v != nil {
			return v, nil
		}
	}
	switch {
	case l.budget.queries <= 0:
		errs = append(errs, errBudget)
	case l.ctx.Err() != nil:
		errs = append(errs, l.ctx.Err())
	case len(errs) == 0:
		errs = append(errs, errors.New("no name server address"))
	}
	return nil, fmt.Errorf("%w for %s: %w", errUnreachable, ns.cut, errList(errs))
}

// spend takes one query from the budget, if any is left.
func (l *lookup) spend() bool {
	if l.budget.queries <= 0 {
		return false
	}
	l.budget.queries--
	return true
}

func (l *lookup) query(ns *nsSet, a netip.AddrPort, name string, qtype uint16) (*verdict, error) {
	r, err := exchange(l.ctx, question{addr: a.String(), name: name, qtype: qtype, do: l.do, spend: l.spend}, l.count)
	if err == nil {
		var v *verdict
		if v, err = classify(r, ns.cut, name, qtype, l.do, l.z.opts.port); err == nil {
			l.s.health.ok(a)
			return v, nil
		}
	}
	l.s.health.failed(a, l.s.clock.Now())
	return nil, fmt.Errorf("%s: %w", a, err)
}

// order rotates addrs to the zone's round-robin start, recent failures last.
func (l *lookup) order(addrs []netip.AddrPort) []netip.AddrPort {
	if len(addrs) < 2 {
		return addrs
	}
	now := l.s.clock.Now()
	start := int(l.z.next.Add(1)) % len(addrs)
	out := make([]netip.AddrPort, 0, len(addrs))
	var down []netip.AddrPort
	for i := range addrs {
		a := addrs[(start+i)%len(addrs)]
		if l.s.health.isDown(a, now) {
			down = append(down, a)
		} else {
			out = append(out, a)
		}
	}
	return append(out, down...)
}

// addrsOf looks up a name server's addresses through the server (cache,
// other zones, forward, or this plugin again).
func (l *lookup) addrsOf(name string) []netip.AddrPort {
	var addrs []netip.AddrPort
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		if l.ctx.Err() != nil {
			break
		}
		m, err := l.lookupThrough(name, qt)
		if err != nil || m == nil {
			continue
		}
		for _, rr := range m.Answer {
			if ip, ok := address(rr); ok && len(addrs) < maxAddrsPerNS {
				addrs = append(addrs, netip.AddrPortFrom(ip, l.z.opts.port))
			}
		}
	}
	return addrs
}

// nsSet is the name servers of one zone cut.
type nsSet struct {
	cut   string
	names []string // lower case, without duplicates, at most maxNS
	addrs map[string][]netip.AddrPort
	nglue int
}

// newNSSet is the set of cut's NS records among ns, with the addresses among
// extra of their names.
func newNSSet(cut string, ns, extra []dns.RR, port uint16) *nsSet {
	set := &nsSet{cut: cut}
	for _, rr := range ns {
		if n, ok := rr.(*dns.NS); ok && strings.EqualFold(n.Hdr.Name, cut) {
			set.add(n.Ns)
		}
	}
	for _, rr := range extra {
		set.addAddr(rr, port)
	}
	return set
}

func (n *nsSet) add(name string) {
	name = strings.ToLower(name)
	if len(n.names) < maxNS && !slices.Contains(n.names, name) {
		n.names = append(n.names, name)
	}
}

// addAddr adds an A or AAAA record of one of the set's names, and reports
// whether it was new and within bounds.
func (n *nsSet) addAddr(rr dns.RR, port uint16) bool {
	ip, ok := address(rr)
	owner := strings.ToLower(rr.Header().Name)
	if !ok || !slices.Contains(n.names, owner) || n.nglue >= maxGlue {
		return false
	}
	ap := netip.AddrPortFrom(ip, port)
	if n.addrs == nil {
		n.addrs = map[string][]netip.AddrPort{}
	}
	have := n.addrs[owner]
	if len(have) == maxAddrsPerNS || slices.Contains(have, ap) {
		return false
	}
	n.addrs[owner] = append(have, ap)
	n.nglue++
	return true
}

// known is every address of the set, in name order.
func (n *nsSet) known() []netip.AddrPort {
	all := make([]netip.AddrPort, 0, n.nglue)
	for _, name := range n.names {
		all = append(all, n.addrs[name]...)
	}
	return all
}

// address returns an A or AAAA record's address if it is unicast and specified.
func address(rr dns.RR) (netip.Addr, bool) {
	var ip netip.Addr
	switch a := rr.(type) {
	case *dns.A:
		ip, _ = netip.AddrFromSlice(a.A.To4())
	case *dns.AAAA:
		ip, _ = netip.AddrFromSlice(a.AAAA)
	}
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Addr{}, false
	}
	return ip, true
}
