package rfc2317

import (
	"strings"

	"github.com/miekg/dns"
)

// kind is what rfc2317 does with a name.
type kind uint8

const (
	kindNone  kind = iota // not ours: the next plugin answers
	kindCNAME             // parent: an address in a delegated block; CNAME into the child zone
	kindCut               // parent: at or below a child zone; referral
	kindChild             // child: the original name of one of our addresses; CNAME plus the child's answer
	kindENT               // a /24 holding synthesized names, or an ancestor: it exists even when the zone beside has nothing there
)

// table finds, for a query name, the block and role that answer it, without
// allocating: at most two map lookups on substrings of the name.
type table struct {
	rev  map[string]*reverse24 // by /24 reverse name, "2.0.192.in-addr.arpa."
	ents map[string]struct{}   // proper ancestors of the /24 names of delegations
}

// reverse24 holds the blocks inside one /24.
type reverse24 struct {
	octets [256]*block       // blocks by the addresses that get CNAMEs (parent and child side)
	cuts   map[string]*block // child zone labels of delegations (parent side only)
}

func newTable(blocks []*block) table {
	t := table{rev: map[string]*reverse24{}, ents: map[string]struct{}{}}
	for _, b := range blocks {
		r := t.rev[b.rev24]
		if r == nil {
			r = &reverse24{cuts: map[string]*block{}}
			t.rev[b.rev24] = r
		}
		for o := int(b.first); o <= int(b.last); o++ {
			r.octets[o] = b
		}
		if b.child {
			continue
		}
		r.cuts[b.label] = b
		for n, end := dns.NextLabel(b.rev24, 0); !end; n, end = dns.NextLabel(b.rev24, n) {
			t.ents[b.rev24[n:]] = struct{}{}
		}
	}
	return t
}

// underArpa reports whether name may be arpa. or below it. Every name the
// table holds is, so a query for another zone is passed on after this one
// comparison, without lower-casing or a map lookup. A name whose last label
// ends in an escaped "\.arpa" passes too: classify tells it apart.
func underArpa(name string) bool {
	const arpa = "arpa."
	n := len(name) - len(arpa)
	return n >= 0 && strings.EqualFold(name[n:], arpa) && (n == 0 || name[n-1] == '.')
}

// classify tells what rfc2317 does with qname (lower case, FQDN), with the
// last octet for kindCNAME and kindChild, the block for kindCut.
func (t *table) classify(qname string) (kind, *block, uint8) {
	// An address name is octet.c.b.a.in-addr.arpa.: the /24 is the last
	// five labels. PrevLabel honours escaped dots.
	i5, short := dns.PrevLabel(qname, 5)
	if short {
		if _, ok := t.ents[qname]; ok {
			return kindENT, nil, 0
		}
		return kindNone, nil, 0
	}
	r := t.rev[qname[i5:]]
	if r == nil {
		return kindNone, nil, 0
	}
	if i5 == 0 {
		if len(r.cuts) > 0 {
			// A delegation lives here: the /24 name is an empty non-terminal at worst.
			return kindENT, nil, 0
		}
		return kindNone, nil, 0
	}
	i6, _ := dns.PrevLabel(qname, 6)
	label := qname[i6 : i5-1]
	if i6 == 0 {
		if o, ok := parseOctet(label); ok {
			if b := r.octets[o]; b != nil {
				if b.child {
					return kindChild, b, o
				}
				return kindCNAME, b, o
			}
			return kindNone, nil, 0
		}
	}
	if b := r.cuts[label]; b != nil {
		return kindCut, b, 0
	}
	return kindNone, nil, 0
}
