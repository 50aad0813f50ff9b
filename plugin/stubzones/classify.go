package stubzones

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// What a stub server's reply means for the resolution.
const (
	final    = iota // the answer (data, NXDOMAIN or NODATA)
	referral        // ask the servers of a zone further down
	restart         // a CNAME left the servers' zone: ask for its target
)

type verdict struct {
	kind   int
	rcode  int      // final
	answer []dns.RR // records accepted from the answer section
	auth   []dns.RR // final: SOA (and DNSSEC denial records) of a negative answer
	name   string   // referral, restart: the name to ask for next
	next   *nsSet   // referral: the servers to ask
	cnames int      // CNAMEs followed in this reply
}

var errLame = errors.New("neither an authoritative answer nor a referral below")

// classify keeps only what a server of cut may speak for (bailiwick): answers
// inside cut along the CNAME chain, a negative SOA, a downward referral; anything
// else is an error and the next server is tried.
func classify(r *dns.Msg, cut, qname string, qtype uint16, do bool, port uint16) (*verdict, error) {
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("rcode %s", rcodeLabel(r.Rcode))
	}
	v := &verdict{}
	name := strings.ToLower(qname)
	for {
		if rrs := rrset(r.Answer, name, qtype, do); len(rrs) > 0 {
			if !r.Authoritative {
				return nil, errors.New("answer is not authoritative (AA=0)")
			}
			v.kind, v.rcode = final, dns.RcodeSuccess
			v.answer = append(v.answer, rrs...)
			return v, nil
		}
		cname := findCNAME(r.Answer, name)
		if cname == nil {
			break
		}
		if !r.Authoritative {
			return nil, errors.New("CNAME is not authoritative (AA=0)")
		}
		v.answer = append(v.answer, dnames(r.Answer, name, cut, v.answer)...)
		v.answer = append(v.answer, cname)
		v.answer = append(v.answer, sigs(r.Answer, name, dns.TypeCNAME, do)...)
		if v.cnames++; v.cnames > maxCNAMEs {
			return nil, fmt.Errorf("more than %d CNAMEs", maxCNAMEs)
		}
		name = strings.ToLower(cname.Target)
		if !dns.IsSubDomain(cut, name) {
			v.kind, v.name = restart, name
			return v, nil
		}
	}

	if r.Rcode == dns.RcodeNameError {
		if !r.Authoritative {
			return nil, errors.New("NXDOMAIN is not authoritative (AA=0)")
		}
		v.kind, v.rcode, v.auth = final, dns.RcodeNameError, denial(r.Ns, cut, name, do)
		return v, nil
	}
	if next := delegation(r, cut, name, port); next != nil {
		v.kind, v.name, v.next = referral, name, next
		return v, nil
	}
	if !r.Authoritative {
		return nil, errLame
	}
	v.auth = denial(r.Ns, cut, name, do)
	if len(v.answer) > 0 && len(v.auth) == 0 {
		// A CNAME to a name of the same zone and nothing said about it:
		// ask for the target.
		v.kind, v.name = restart, name
		return v, nil
	}
	v.kind, v.rcode = final, dns.RcodeSuccess
	return v, nil
}

// rrset returns name's records of qtype (any for ANY), with signatures when do.
func rrset(rrs []dns.RR, name string, qtype uint16, do bool) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		h := rr.Header()
		if h.Class != dns.ClassINET || !strings.EqualFold(h.Name, name) {
			continue
		}
		switch {
		case h.Rrtype == dns.TypeRRSIG:
			if do && (qtype == dns.TypeANY || qtype == dns.TypeRRSIG || rr.(*dns.RRSIG).TypeCovered == qtype) {
				out = append(out, rr)
			}
		case h.Rrtype == qtype, qtype == dns.TypeANY:
			out = append(out, rr)
		}
	}
	// Signatures alone are not an answer.
	if qtype == dns.TypeRRSIG || slices.ContainsFunc(out, func(rr dns.RR) bool { return rr.Header().Rrtype != dns.TypeRRSIG }) {
		return out
	}
	return nil
}

func findCNAME(rrs []dns.RR, name string) *dns.CNAME {
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok && c.Hdr.Class == dns.ClassINET && strings.EqualFold(c.Hdr.Name, name) {
			return c
		}
	}
	return nil
}

// sigs returns the RRSIGs over name/qtype when do.
func sigs(rrs []dns.RR, name string, qtype uint16, do bool) []dns.RR {
	if !do {
		return nil
	}
	var out []dns.RR
	for _, rr := range rrs {
		if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == qtype && strings.EqualFold(s.Hdr.Name, name) {
			out = append(out, s)
		}
	}
	return out
}

// dnames returns the DNAME records (not already in have) above name and
// inside cut: the source of a synthesized CNAME the client may want to see.
func dnames(rrs []dns.RR, name, cut string, have []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		d, ok := rr.(*dns.DNAME)
		if !ok || !dns.IsSubDomain(cut, d.Hdr.Name) || !dns.IsSubDomain(d.Hdr.Name, name) || strings.EqualFold(d.Hdr.Name, name) {
			continue
		}
		if !slices.Contains(have, rr) {
			out = append(out, rr)
		}
	}
	return out
}

// denial returns a negative answer's in-bailiwick authority: the SOA of a zone
// inside cut holding name, and with do its NSEC, NSEC3 and RRSIG records.
func denial(rrs []dns.RR, cut, name string, do bool) []dns.RR {
	var out []dns.RR
	soa := false
	for _, rr := range rrs {
		h := rr.Header()
		if h.Class != dns.ClassINET || !dns.IsSubDomain(cut, h.Name) {
			continue
		}
		switch h.Rrtype {
		case dns.TypeSOA:
			if !soa && dns.IsSubDomain(h.Name, name) {
				soa = true
				out = append(out, rr)
			}
		case dns.TypeNSEC, dns.TypeNSEC3, dns.TypeRRSIG:
			if do {
				out = append(out, rr)
			}
		}
	}
	if !soa {
		return nil
	}
	return out
}

// delegation returns a downward referral's servers (NS strictly below cut, at
// or above name, in-zone glue only), or nil.
func delegation(r *dns.Msg, cut, name string, port uint16) *nsSet {
	if r.Rcode != dns.RcodeSuccess {
		return nil
	}
	var set *nsSet
	for _, rr := range r.Ns {
		ns, ok := rr.(*dns.NS)
		if !ok || ns.Hdr.Class != dns.ClassINET {
			continue
		}
		owner := strings.ToLower(ns.Hdr.Name)
		if owner == cut || !dns.IsSubDomain(cut, owner) || !dns.IsSubDomain(owner, name) {
			continue
		}
		if set == nil {
			set = &nsSet{cut: owner}
		}
		if owner == set.cut {
			set.add(ns.Ns)
		}
	}
	if set == nil {
		return nil
	}
	for _, rr := range r.Extra {
		if dns.IsSubDomain(set.cut, rr.Header().Name) && rr.Header().Class == dns.ClassINET {
			set.addAddr(rr, port)
		}
	}
	return set
}
