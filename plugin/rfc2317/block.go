package rfc2317

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"
)

// Style is how a child zone label is derived from a block without a label line.
type Style uint8

const (
	// Slash is RFC 2317 §4's own form: 0/29.
	Slash Style = iota
	// Dash is the same with '-' for tools that choke on '/': 0-29.
	Dash
	// Range is first-last of the block, as ISC's knowledge base writes it: 0-7.
	Range
)

var styleNames = [...]string{Slash: "slash", Dash: "dash", Range: "range"}

func (s Style) String() string { return styleNames[s] }

// block is one classless block (parent-side delegation or child-side zone),
// immutable after setup but for rendered, which the zone watcher replaces.
type block struct {
	prefix netip.Prefix
	child  bool     // child side: this server holds the child zone
	ns     []string // parent side: the child zone's name servers, fully qualified, lower case
	label  string   // child zone label, e.g. "0/29"
	first  uint8    // last-octet values that get CNAMEs, inclusive
	last   uint8
	line   int // Corefile line of the delegate or child line, for messages

	rev24   string   // the /24 reverse zone holding the block: "2.0.192.in-addr.arpa."
	zone    string   // the child zone: label + "." + rev24
	targets []string // CNAME targets by octet-first: "3." + zone
	owners  []string // CNAME owners by octet-first: "3." + rev24
	r       atomic.Pointer[rendered]
}

// rendered is what the query path needs of a block now, from the zone beside.
type rendered struct {
	ttl       uint32
	origin    string   // the zone (served beside) holding the synthesized names; "" when none was found
	childHere bool     // parent side: the child zone is served beside rfc2317 too
	ns        []dns.RR // NS records at zone (parent side)
	glue      []dns.RR // A/AAAA of the name servers known to this server
	apexNS    []dns.RR // the NS records of origin, the zone holding the CNAMEs
	apexGlue  []dns.RR // A/AAAA of those name servers known to this server
}

// newBlock computes a block's names; the parser has checked p (IPv4 /25-/32, a block start).
func newBlock(p netip.Prefix) *block {
	a := p.Addr().As4()
	return &block{
		prefix: p,
		first:  a[3],
		last:   a[3] | uint8(1<<(32-p.Bits())-1),
		rev24:  fmt.Sprintf("%d.%d.%d.in-addr.arpa.", a[2], a[1], a[0]),
	}
}

// defaultLabel is the block's label in the given style.
func (b *block) defaultLabel(s Style) string {
	base := b.prefix.Addr().As4()[3]
	switch s {
	case Dash:
		return fmt.Sprintf("%d-%d", base, b.prefix.Bits())
	case Range:
		last := base | uint8(1<<(32-b.prefix.Bits())-1)
		return fmt.Sprintf("%d-%d", base, last)
	}
	return fmt.Sprintf("%d/%d", base, b.prefix.Bits())
}

// finish sets the label and derives every name from it.
func (b *block) finish(label string) {
	b.label = strings.ToLower(label)
	b.zone = b.label + "." + b.rev24
	n := int(b.last) - int(b.first) + 1
	b.owners = make([]string, n)
	b.targets = make([]string, n)
	for i := range n {
		o := strconv.Itoa(int(b.first) + i)
		b.owners[i] = o + "." + b.rev24
		b.targets[i] = o + "." + b.zone
	}
	b.r.Store(&rendered{ttl: defaultTTL})
}

// target is the CNAME target for octet, from first to last.
func (b *block) target(octet uint8) string { return b.targets[octet-b.first] }

// side names the block's role in messages.
func (b *block) side() string {
	if b.child {
		return "child"
	}
	return "delegate"
}

// checkLabel tells why s cannot be a child zone label: letters, digits, '-',
// '_' and RFC 2317's '/' need no escaping anywhere.
func checkLabel(s string) error {
	if s == "" {
		return fmt.Errorf("label is empty")
	}
	if len(s) > 63 {
		return fmt.Errorf("label %q is %d octets long; a DNS label holds at most 63", s, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '/':
		case c == '.':
			return fmt.Errorf("label %q holds a '.': a child zone label is one DNS label (e.g. 0-7 or 0/29)", s)
		default:
			return fmt.Errorf("label %q holds %q, which cannot be part of a DNS label here; use letters, digits, '-', '_' or '/'", s, rune(c))
		}
	}
	if _, ok := parseOctet(s); ok {
		return fmt.Errorf("label %q is the name of an address in the /24; use a label such as 0-7 or 0/29", s)
	}
	return nil
}

// parseOctet parses "0".."255" as in in-addr.arpa names: no sign, no leading zeros.
func parseOctet(s string) (uint8, bool) {
	if len(s) == 0 || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 255 {
		return 0, false
	}
	return uint8(n), true
}
