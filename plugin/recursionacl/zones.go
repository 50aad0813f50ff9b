package recursionacl

import (
	"strings"

	"github.com/miekg/dns"
)

// zoneSet is a set of zones matched by suffix, one map probe per label.
type zoneSet map[string]struct{}

func newZoneSet(zones []string) zoneSet {
	s := make(zoneSet, len(zones))
	for _, z := range zones {
		s[strings.ToLower(dns.Fqdn(z))] = struct{}{}
	}
	return s
}

// contains reports whether name is in or under a zone of s.
func (s zoneSet) contains(name string) bool {
	if _, all := s["."]; all {
		return true
	}
	name = strings.ToLower(name)
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if _, ok := s[name[off:]]; ok {
			return true
		}
	}
	return false
}
