// Package addrmatch implements BIND's address match lists: addresses,
// prefixes, any, none, localhost, localnets, named lists and `key NAME`, each
// negatable with `!`; the first element that matches decides, no match denies.
// Address runs compile into a trie per family, so matching never allocates.
package addrmatch

import (
	"net/netip"
	"strings"
)

// List is a compiled address match list, immutable and safe for concurrent use.
type List struct {
	segs     []segment
	elements int
	keys     bool // a key element, here or in a nested list
}

// segment is a run of elements evaluated together: either a trie holding
// consecutive address elements, or a single nested list or key element.
type segment struct {
	v4, v6 *trie

	nested *List  // a named list, localhost or localnets
	key    string // a TSIG key name, lower case, fully qualified
	deny   bool   // nested or key element was negated
}

// Match reports whether the list allows addr with verified TSIG key ("" if
// none); IPv4-mapped addresses match as IPv4.
func (l *List) Match(addr netip.Addr, key string) bool {
	return l.eval(addr.Unmap(), key) > 0
}

// eval returns 1 for a positive match, -1 for a negative one, 0 for none.
func (l *List) eval(addr netip.Addr, key string) int {
	for i := range l.segs {
		s := &l.segs[i]
		switch {
		case s.nested != nil:
			// A negative inner result is "no match" here (BIND's rule).
			if s.nested.eval(addr, key) > 0 {
				return sense(s.deny)
			}
		case s.key != "":
			if key != "" && strings.EqualFold(key, s.key) {
				return sense(s.deny)
			}
		default:
			t := s.v6
			if addr.Is4() {
				t = s.v4
			}
			if t != nil {
				if pos, deny := t.lookup(addr); pos >= 0 {
					return sense(deny)
				}
			}
		}
	}
	return 0
}

func sense(deny bool) int {
	if deny {
		return -1
	}
	return 1
}

// UsesKeys reports whether the list has a key element (directly or through
// a named list), so a caller can skip finding the TSIG key when it has none.
func (l *List) UsesKeys() bool { return l.keys }

// Len counts elements, those of a named list once per reference.
func (l *List) Len() int { return l.elements }
