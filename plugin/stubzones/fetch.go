package stubzones

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// fetch runs BIND's stub refresh against each primary in turn; it returns the
// new data and whether it changed, or why every primary failed. cur may be nil.
func (s *Stubzones) fetch(ctx context.Context, z *zone, cur *stubData) (*stubData, bool, error) {
	var errs []error
	for _, p := range z.opts.primaries {
		d, changed, err := s.fetchFrom(ctx, z, cur, p.String())
		if err == nil {
			return d, changed, nil
		}
		errs = append(errs, fmt.Errorf("primary %s: %w", p, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, false, errList(errs)
}

func (s *Stubzones) fetchFrom(ctx context.Context, z *zone, cur *stubData, addr string) (*stubData, bool, error) {
	count := s.upstreamCounter(s.server, z.name)
	ask := func(name string, qtype uint16) (*dns.Msg, error) {
		return exchange(ctx, question{addr: addr, name: name, qtype: qtype, tsig: z.opts.tsig, plainOnTimeout: true}, count)
	}

	r, err := ask(z.name, dns.TypeSOA)
	if err != nil {
		return nil, false, err
	}
	soas, err := apex[*dns.SOA](r, z.name)
	if err != nil {
		return nil, false, err
	}
	if len(soas) > 1 {
		return nil, false, errors.New("more than one SOA in the answer")
	}
	soa := soas[0]
	now := s.clock.Now()
	if cur != nil && !serialGreater(soa.Serial, cur.soa.Serial) {
		if soa.Serial != cur.soa.Serial {
			log.Warningf("Zone %s: serial %d at %s is lower than ours, %d; keeping ours", z.name, soa.Serial, addr, cur.soa.Serial)
		}
		return cur.renewed(now, addr), false, nil
	}

	r, err = ask(z.name, dns.TypeNS)
	if err != nil {
		return nil, false, err
	}
	ns, err := apex[*dns.NS](r, z.name)
	if err != nil {
		return nil, false, err
	}
	glue := r.Extra

	// In-zone name servers the additional section gave no address for:
	// ask the primary, as BIND does.
	have := map[string]bool{}
	for _, rr := range glue {
		if t := rr.Header().Rrtype; t == dns.TypeA || t == dns.TypeAAAA {
			have[strings.ToLower(rr.Header().Name)] = true
		}
	}
	asked := map[string]bool{}
	for _, n := range ns {
		name := strings.ToLower(n.Ns)
		if have[name] || asked[name] || !dns.IsSubDomain(z.name, name) || len(asked) == maxNS {
			continue
		}
		asked[name] = true
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			r, err := ask(name, qt)
			if err == nil {
				err = authoritative(r)
			}
			if err != nil {
				log.Warningf("Zone %s: no %s for name server %s from %s: %v", z.name, dns.TypeToString[qt], name, addr, err)
				continue
			}
			glue = append(glue, r.Answer...)
		}
	}

	d, err := newStubData(z.name, soa, ns, glue, z.opts, now, addr)
	return d, true, err
}

// authoritative checks a primary's reply as BIND does: NOERROR, AA, no CNAME or DNAME.
func authoritative(r *dns.Msg) error {
	if r.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("rcode %s", rcodeLabel(r.Rcode))
	}
	if !r.Authoritative {
		return errors.New("answer is not authoritative (AA=0)")
	}
	for _, rr := range r.Answer {
		if t := rr.Header().Rrtype; t == dns.TypeCNAME || t == dns.TypeDNAME {
			return fmt.Errorf("%s in the answer", dns.TypeToString[t])
		}
	}
	return nil
}

// apex returns the answer's records of type T at the zone's apex, from an
// authoritative reply.
func apex[T dns.RR](r *dns.Msg, zone string) ([]T, error) {
	if err := authoritative(r); err != nil {
		return nil, err
	}
	var out []T
	for _, rr := range r.Answer {
		if t, ok := rr.(T); ok && strings.EqualFold(rr.Header().Name, zone) && rr.Header().Class == dns.ClassINET {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		// The question is the one asked: exchange checked it.
		return nil, fmt.Errorf("no %s for %s in the answer", dns.TypeToString[r.Question[0].Qtype], zone)
	}
	return out, nil
}

// serialGreater is RFC 1982 serial number arithmetic: a > b.
func serialGreater(a, b uint32) bool {
	return a != b && int32(a-b) > 0
}
