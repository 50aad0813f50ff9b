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
	soa, err := apexSOA(r, z.name)
	if err != nil {
		return nil, false, err
	}
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
	ns, err := apexNS(r, z.name)
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
	if err != nil {
		return nil, false, err
	}
	return d, true, nil
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

// apexSOA returns the zone's SOA from an authoritative reply.
func apexSOA(r *dns.Msg, zone string) (*dns.SOA, error) {
	if err := authoritative(r); err != nil {
		return nil, err
	}
	var soa *dns.SOA
	for _, rr := range r.Answer {
		if s, ok := rr.(*dns.SOA); ok && strings.EqualFold(s.Hdr.Name, zone) && s.Hdr.Class == dns.ClassINET {
			if soa != nil {
				return nil, errors.New("more than one SOA in the answer")
			}
			soa = s
		}
	}
	if soa == nil {
		return nil, fmt.Errorf("no SOA for %s in the answer", zone)
	}
	return soa, nil
}

// apexNS returns the zone's NS RRset from an authoritative reply.
func apexNS(r *dns.Msg, zone string) ([]*dns.NS, error) {
	if err := authoritative(r); err != nil {
		return nil, err
	}
	var ns []*dns.NS
	for _, rr := range r.Answer {
		if n, ok := rr.(*dns.NS); ok && strings.EqualFold(n.Hdr.Name, zone) && n.Hdr.Class == dns.ClassINET {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("no NS for %s in the answer", zone)
	}
	return ns, nil
}

// serialGreater is RFC 1982 serial number arithmetic: a > b.
func serialGreater(a, b uint32) bool {
	return a != b && int32(a-b) > 0
}
