package verify

import (
	"fmt"
	"os"
	"strings"

	"github.com/miekg/dns"
)

// ZoneFile is a zone and the master file that holds it, as named.conf's
// zone statements give them (internal/namedconf's ZoneFiles).
type ZoneFile struct {
	Name string // the zone's origin
	File string // path of its master file
}

// Probe labels: a name that should not exist in any zone, and a name under
// the reserved .invalid TLD (RFC 6761) that no test or real zone serves.
const (
	nxdomainLabel = "nxdomain-verify-probe"
	outOfZoneName = "out-of-zone-verify-probe.invalid."
)

// QueriesFromZones generates queries from zone files: one per owner name
// and type (in file order, each pair once), an NXDOMAIN probe per zone, and
// one out-of-zone probe. Files are read with miekg/dns's zone parser, so
// $INCLUDE, $ORIGIN, $TTL and $GENERATE work as in BIND.
//
// Generated queries ask like dig (RD, EDNS 0), except the out-of-zone probe:
// it has RD clear, so a resolver answers from what it holds and never asks
// the Internet on verify's behalf.
func QueriesFromZones(zones []ZoneFile) ([]Query, error) {
	var qs []Query
	for _, z := range zones {
		zq, err := zoneQueries(z)
		if err != nil {
			return nil, err
		}
		qs = append(qs, zq...)
	}
	if len(zones) > 0 {
		q := newQuery(outOfZoneName, dns.TypeA, dns.ClassINET, "out-of-zone probe")
		q.RD = false
		qs = append(qs, q)
	}
	return qs, nil
}

func zoneQueries(z ZoneFile) ([]Query, error) {
	origin, err := parseName(z.Name)
	if err != nil {
		return nil, fmt.Errorf("zone %s: %v", z.Name, err)
	}
	f, err := os.Open(z.File)
	if err != nil {
		return nil, fmt.Errorf("zone %s: %v", z.Name, err)
	}
	defer f.Close()
	zp := dns.NewZoneParser(f, origin, z.File)
	zp.SetIncludeAllowed(true)
	type key struct {
		name  string
		qtype uint16
		class uint16
	}
	seen := map[key]bool{}
	var qs []Query
	desc := "zone " + strings.TrimSuffix(origin, ".")
	if origin == "." {
		desc = "zone ."
	}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		k := key{strings.ToLower(h.Name), h.Rrtype, h.Class}
		if seen[k] {
			continue
		}
		seen[k] = true
		qs = append(qs, newQuery(h.Name, h.Rrtype, h.Class, desc))
	}
	if err := zp.Err(); err != nil {
		// The parser's error names the file and line ($INCLUDEd ones too).
		return nil, fmt.Errorf("zone %s: %v", z.Name, err)
	}
	nx := nxdomainLabel + "." + origin
	if origin == "." {
		nx = nxdomainLabel + "."
	}
	qs = append(qs, newQuery(nx, dns.TypeA, dns.ClassINET, desc+" (NXDOMAIN probe)"))
	return qs, nil
}
