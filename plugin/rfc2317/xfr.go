package rfc2317

import (
	"errors"
	"strings"

	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

// Transfer implements transfer.Transferer: rfc2317 precedes file, auto and
// secondary, so it merges its records into the stream of the zone beside it,
// leaving out the records they replace, and secondaries carry them too.
func (h *RFC2317) Transfer(zone string, serial uint32) (<-chan []dns.RR, error) {
	zone = strings.ToLower(zone)
	var mine []*block
	for _, b := range h.blocks {
		o := b.r.Load().origin
		if !b.child && (o == zone || o == "" && dns.IsSubDomain(zone, b.rev24)) {
			mine = append(mine, b)
		}
	}
	if len(mine) == 0 {
		return nil, transfer.ErrNotAuthoritative
	}
	for _, tr := range h.watch.transferers() {
		in, err := tr.Transfer(zone, serial)
		if errors.Is(err, transfer.ErrNotAuthoritative) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out := make(chan []dns.RR)
		go h.merge(zone, mine, in, out)
		return out, nil
	}
	return nil, transfer.ErrNotAuthoritative
}

// merge inserts the synthesized records before the closing SOA; a lone SOA or
// an incremental stream passes as it is.
func (h *RFC2317) merge(zone string, blocks []*block, in <-chan []dns.RR, out chan<- []dns.RR) {
	defer close(out)
	var (
		n, dropped  int
		first       uint32
		incremental bool
	)
	for rrs := range in {
		batch := make([]dns.RR, 0, len(rrs))
		for _, rr := range rrs {
			n++
			soa, isSOA := rr.(*dns.SOA)
			switch {
			case n == 1 && isSOA:
				first = soa.Serial
			case n == 2 && isSOA && soa.Serial != first:
				incremental = true
			case incremental:
			case isSOA:
				batch = append(batch, synthesized(blocks)...)
			case h.replaced(rr):
				dropped++
				continue
			}
			batch = append(batch, rr)
		}
		if len(batch) > 0 {
			out <- batch
		}
	}
	if dropped > 0 {
		log.Warningf("transfer of %s: left out %d records of the zone where rfc2317 puts its CNAME and NS records", zone, dropped)
	}
}

// replaced reports whether the synthesized records take rr's place.
func (h *RFC2317) replaced(rr dns.RR) bool {
	owner := strings.ToLower(rr.Header().Name)
	switch k, b, _ := h.table.classify(owner); k {
	case kindCNAME:
		return true
	case kindCut:
		return owner == b.zone && rr.Header().Rrtype == dns.TypeNS
	}
	return false
}

// synthesized is what rfc2317 adds to a transfer; in-zone glue is there already.
func synthesized(blocks []*block) []dns.RR {
	var rrs []dns.RR
	for _, b := range blocks {
		rd := b.r.Load()
		for i, owner := range b.owners {
			rrs = append(rrs, b.cnameRR(owner, b.first+uint8(i), rd.ttl))
		}
		rrs = append(rrs, rd.ns...)
	}
	return rrs
}
