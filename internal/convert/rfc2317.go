package convert

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
	"github.com/miekg/dns"
)

var (
	slashLabel = regexp.MustCompile(`^(\d{1,3})/(\d{1,2})$`)
	rangeLabel = regexp.MustCompile(`^(\d{1,3})-(\d{1,3})$`)
)

// net24 returns "192.0.2" for the zone 2.0.192.in-addr.arpa, or "".
func net24(zone string) string {
	l := dns.SplitDomainName(strings.ToLower(zone))
	if len(l) != 5 || l[3] != "in-addr" || l[4] != "arpa" {
		return ""
	}
	for _, x := range l[:3] {
		if n, err := strconv.Atoi(x); err != nil || n > 255 || strconv.Itoa(n) != x {
			return ""
		}
	}
	return l[2] + "." + l[1] + "." + l[0]
}

// block finds the smallest aligned block (of /25 to /32) holding lo..hi.
func block(lo, hi int) (base, plen int, ok bool) {
	for plen = 32; plen >= 25; plen-- {
		size := 1 << (32 - plen)
		base = lo &^ (size - 1)
		if hi < base+size {
			return base, plen, true
		}
	}
	return 0, 0, false
}

// labelBlock reads a classless label: "0/26", "0-63", "1-6".
func labelBlock(label string, lo, hi int) (base, plen int, ok bool) {
	if m := slashLabel.FindStringSubmatch(label); m != nil {
		b, _ := strconv.Atoi(m[1])
		p, _ := strconv.Atoi(m[2])
		if p >= 25 && p <= 32 && b < 256 && b%(1<<(32-p)) == 0 {
			return b, p, true
		}
		return 0, 0, false
	}
	if m := rangeLabel.FindStringSubmatch(label); m != nil {
		a, _ := strconv.Atoi(m[1])
		z, _ := strconv.Atoi(m[2])
		if a <= z && z < 256 {
			if lo < 0 || a < lo {
				lo = a
			}
			if z > hi {
				hi = z
			}
		}
	}
	if lo < 0 {
		return 0, 0, false
	}
	return block(lo, hi)
}

// rfc2317 looks for the RFC 2317 patterns in a primary zone: the parent's
// "N CNAME N.LABEL" + "LABEL NS" (however written: $GENERATE or one by one)
// becomes a delegate line; a child zone named LABEL.C.B.A.in-addr.arpa
// becomes a child line. The zone file is not changed: the parent's records
// stay in it, and rfc2317 serves its own in their place (it logs the
// overlap at startup).
func (c *converter) rfc2317(z *namedconf.Statement, name, path string) ([]string, []namedconf.Pos) {
	if first, parent, ok := strings.Cut(name, "."); ok && net24(parent) != "" && (slashLabel.MatchString(first) || rangeLabel.MatchString(first)) {
		return c.rfcChild(z, name, first, parent, path)
	}
	n24 := net24(name)
	if n24 == "" {
		return nil, nil
	}
	rrs, err := namedconf.ReadZone(path, name)
	if err != nil {
		c.mark(z, Approx, "the zone file could not be read to look for RFC 2317 delegations: "+err.Error())
		return nil, nil
	}
	apex := dns.Fqdn(name)
	ns := map[string][]string{}       // child label -> name servers
	nsTTL := map[string]uint32{}      // child label -> NS TTL
	cn := map[string]map[int]uint32{} // child label -> address -> CNAME TTL
	var labels []string
	for _, rr := range rrs {
		h := rr.Header()
		owner := strings.ToLower(h.Name)
		rel, ok := strings.CutSuffix(owner, "."+apex)
		if !ok || strings.Contains(rel, ".") {
			continue
		}
		switch r := rr.(type) {
		case *dns.NS:
			if _, seen := ns[rel]; !seen {
				labels = append(labels, rel)
			}
			ns[rel] = append(ns[rel], strings.ToLower(r.Ns))
			nsTTL[rel] = h.Ttl
		case *dns.CNAME:
			n, err := strconv.Atoi(rel)
			if err != nil || n > 255 || strconv.Itoa(n) != rel {
				continue
			}
			t := strings.ToLower(r.Target)
			lab, ok := strings.CutSuffix(t, "."+apex)
			if !ok {
				continue
			}
			num, child, ok := strings.Cut(lab, ".")
			if !ok || num != rel || strings.Contains(child, ".") {
				continue
			}
			if cn[child] == nil {
				cn[child] = map[int]uint32{}
			}
			cn[child][n] = h.Ttl
		}
	}
	var lines []string
	var from []namedconf.Pos
	ttls := map[uint32]bool{}
	for _, lab := range labels {
		addrs := cn[lab]
		if len(addrs) == 0 {
			continue
		}
		ns_ := slices.Sorted(maps.Keys(addrs))
		lo, hi := ns_[0], ns_[len(ns_)-1]
		base, plen, ok := labelBlock(lab, lo, hi)
		if !ok || lo < base || hi >= base+(1<<(32-plen)) {
			c.mark(z, Approx, fmt.Sprintf("the CNAMEs into %s do not fit a /25 to /32 block: left to the zone file", lab))
			continue
		}
		cidr := fmt.Sprintf("%s.%d/%d", n24, base, plen)
		servers := ns[lab]
		lines = append(lines, fmt.Sprintf("delegate %s %s", cidr, strings.Join(servers, " ")))
		if lab != fmt.Sprintf("%d/%d", base, plen) {
			lines = append(lines, fmt.Sprintf("label %s %s", cidr, lab))
		}
		size := 1 << (32 - plen)
		contiguous := hi-lo+1 == len(ns_)
		if lo != base || hi != base+size-1 {
			lines = append(lines, fmt.Sprintf("addresses %s %d-%d", cidr, lo, hi))
		}
		if !contiguous {
			c.mark(z, Approx, fmt.Sprintf("the CNAMEs into %s leave gaps; rfc2317 synthesizes %d-%d (the zone file's records still answer where it has them)", lab, lo, hi))
		}
		// The NS TTL, not the CNAMEs': miekg/dns gives $GENERATE records
		// TTL 3600 whatever $TTL says, where BIND applies $TTL.
		ttls[nsTTL[lab]] = true
		from = append(from, z.Pos)
	}
	if len(lines) == 0 {
		return nil, nil
	}
	if len(ttls) == 1 {
		for t := range ttls {
			lines = append(lines, fmt.Sprintf("ttl %d", t))
		}
	} else {
		c.mark(z, Approx, "the delegation records have different TTLs; rfc2317 uses one (the zone's SOA minimum)")
	}
	c.mark(z, Carried, "rfc2317 delegate from the zone file's CNAME + NS pattern; the records stay in the file (rfc2317 answers in their place and logs the overlap at startup)")
	return lines, from
}

func (c *converter) rfcChild(z *namedconf.Statement, name, label, parent, path string) ([]string, []namedconf.Pos) {
	n24 := net24(parent)
	lo, hi := -1, -1
	if rrs, err := namedconf.ReadZone(path, name); err == nil {
		for _, rr := range rrs {
			if _, ok := rr.(*dns.PTR); !ok {
				continue
			}
			first, _, _ := strings.Cut(strings.ToLower(rr.Header().Name), ".")
			if n, err := strconv.Atoi(first); err == nil && n < 256 {
				if lo < 0 || n < lo {
					lo = n
				}
				if n > hi {
					hi = n
				}
			}
		}
	}
	base, plen, ok := labelBlock(label, lo, hi)
	if !ok {
		return nil, nil
	}
	cidr := fmt.Sprintf("%s.%d/%d", n24, base, plen)
	line := "child " + cidr
	if label != fmt.Sprintf("%d/%d", base, plen) {
		line += " " + label
	}
	lines := []string{line}
	if m := rangeLabel.FindStringSubmatch(label); m != nil {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		if a != base || b != base+(1<<(32-plen))-1 {
			lines = append(lines, fmt.Sprintf("addresses %s %d-%d", cidr, a, b))
		}
	}
	c.mark(z, Approx, "rfc2317 child: the Corefile also answers the original names N."+parent+" with the parent's CNAME and this zone's PTR; BIND answers only the child zone's names")
	return lines, []namedconf.Pos{z.Pos}
}
