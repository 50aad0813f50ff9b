package addrmatch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// ElementError is a problem with one element: `element "10.0.0/8": ...`.
type ElementError struct {
	Element string
	Err     error
}

func (e *ElementError) Error() string { return fmt.Sprintf("element %q: %v", e.Element, e.Err) }
func (e *ElementError) Unwrap() error { return e.Err }

// Env holds a block's named lists and compiles lists referring to them.
type Env struct {
	defs     map[string][]string
	compiled map[string]*List
	// Interfaces returns local addresses with prefix lengths for localhost and
	// localnets; nil means net.InterfaceAddrs (tests set their own).
	Interfaces func() ([]netip.Prefix, error)
}

var reserved = map[string]bool{"any": true, "none": true, "localhost": true, "localnets": true, "key": true}

// Define adds a named list, once per name; its elements are checked when a
// list using it compiles, so order does not matter.
func (e *Env) Define(name string, elements []string) error {
	lname := strings.ToLower(name)
	switch {
	case reserved[lname]:
		return fmt.Errorf("acl name %q is a built-in element; choose another name", name)
	case strings.HasPrefix(name, "!"):
		return fmt.Errorf("acl name %q cannot start with '!'", name)
	case len(elements) == 0:
		return fmt.Errorf("acl %q has no elements; an empty list matches nothing, use none to say so", name)
	case e.defs[lname] != nil: // defined, with elements
		return fmt.Errorf("acl %q is defined twice", name)
	}
	if e.defs == nil {
		e.defs = map[string][]string{}
	}
	e.defs[lname] = elements
	return nil
}

// Compile builds a list from tokens: `!` alone or glued, `key NAME`, and a
// trailing ';' (from named.conf) ignored.
func (e *Env) Compile(tokens []string) (*List, error) {
	return e.compile(tokens, nil)
}

func (e *Env) compile(tokens []string, stack []string) (*List, error) {
	if len(tokens) == 0 {
		return nil, errors.New("empty address match list")
	}
	b := &builder{}
	for i := 0; i < len(tokens); i++ {
		raw := strings.TrimSuffix(tokens[i], ";")
		tok, neg := strings.CutPrefix(raw, "!")
		if raw == "!" {
			if i+1 == len(tokens) {
				return nil, &ElementError{"!", errors.New("'!' must be followed by an element")}
			}
			i++
			tok = strings.TrimSuffix(tokens[i], ";")
			raw = "!" + tok
		}
		switch lt := strings.ToLower(tok); {
		case lt == "any" || lt == "none":
			// BIND compiles none as a negated any: it stops the evaluation.
			deny := neg != (lt == "none")
			b.addPrefix(netip.MustParsePrefix("0.0.0.0/0"), deny)
			b.addPrefix(netip.MustParsePrefix("::/0"), deny)
			b.elements--
		case lt == "localhost" || lt == "localnets":
			l, err := e.local(lt == "localnets")
			if err != nil {
				return nil, &ElementError{raw, err}
			}
			b.addNested(l, neg)
		case lt == "key":
			if i+1 == len(tokens) {
				return nil, &ElementError{raw, errors.New("key needs a TSIG key name, e.g. key transfer-key.")}
			}
			i++
			name := strings.TrimSuffix(tokens[i], ";")
			if _, ok := dns.IsDomainName(name); !ok || name == "" {
				return nil, &ElementError{raw + " " + name, errors.New("not a valid TSIG key name")}
			}
			b.addKey(strings.ToLower(dns.Fqdn(name)), neg)
		default:
			if p, err := parseAddress(tok); err == nil {
				b.addPrefix(p, neg)
				continue
			} else if looksLikeAddress(tok) {
				return nil, &ElementError{raw, err}
			}
			l, err := e.named(lt, stack)
			if err != nil {
				return nil, &ElementError{raw, err}
			}
			b.addNested(l, neg)
		}
	}
	return b.list(), nil
}

// named compiles (once) the list defined as name.
func (e *Env) named(name string, stack []string) (*List, error) {
	if l, ok := e.compiled[name]; ok {
		return l, nil
	}
	def, ok := e.defs[name]
	if !ok {
		return nil, errors.New("not an IP address, CIDR prefix, keyword (any, none, localhost, localnets, key NAME) or defined acl name")
	}
	if slices.Contains(stack, name) {
		return nil, fmt.Errorf("acl loop: %s -> %s", strings.Join(stack, " -> "), name)
	}
	l, err := e.compile(def, append(stack, name))
	if err != nil {
		return nil, fmt.Errorf("in acl %q: %w", name, err)
	}
	if e.compiled == nil {
		e.compiled = map[string]*List{}
	}
	e.compiled[name] = l
	return l, nil
}

// local compiles localhost or localnets from the interface addresses.
func (e *Env) local(nets bool) (*List, error) {
	ifs := e.Interfaces
	if ifs == nil {
		ifs = systemInterfaces
	}
	prefixes, err := ifs()
	if err != nil {
		return nil, fmt.Errorf("reading local interface addresses: %w", err)
	}
	b := &builder{}
	for _, p := range prefixes {
		if !nets {
			p = netip.PrefixFrom(p.Addr(), p.Addr().BitLen())
		}
		b.addPrefix(p.Masked(), false)
	}
	return b.list(), nil
}

func systemInterfaces() ([]netip.Prefix, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if p, err := netip.ParsePrefix(ipn.String()); err == nil {
				out = append(out, unmapPrefix(p))
			}
		}
	}
	return out, nil
}

// unmapPrefix turns an IPv4-mapped prefix (::ffff:10.0.0.0/104) into IPv4.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// parseAddress parses an IP address or a CIDR prefix in full notation.
func parseAddress(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, errors.New("not a valid IP address")
		}
		if a.Zone() != "" {
			return netip.Prefix{}, errors.New("IPv6 zones are not allowed in address match lists")
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if _, _, cut := strings.Cut(s, "/"); cut && strings.Count(s, ".") < 3 && !strings.Contains(s, ":") {
			return netip.Prefix{}, fmt.Errorf("not a CIDR prefix; write IPv4 prefixes with all four octets, e.g. %s", expand(s))
		}
		return netip.Prefix{}, errors.New("not a CIDR prefix (address/length)")
	}
	p = unmapPrefix(p)
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("host bits set; the network is %s", p.Masked())
	}
	return p, nil
}

// expand pads a short IPv4 prefix (10/8) to four octets for error messages.
func expand(s string) string {
	addr, bits, _ := strings.Cut(s, "/")
	for strings.Count(addr, ".") < 3 {
		addr += ".0"
	}
	return addr + "/" + bits
}

// looksLikeAddress tells a mistyped address from an acl name, so the error
// says what is wrong with the address.
func looksLikeAddress(s string) bool {
	return strings.ContainsAny(s, "/:") || s != "" && strings.Trim(s, "0123456789.") == ""
}

// builder accumulates segments, merging address runs into one trie pair.
type builder struct {
	segs     []segment
	pos      int32
	elements int
	keys     bool
}

func (b *builder) addPrefix(p netip.Prefix, deny bool) {
	b.elements++
	if n := len(b.segs); n == 0 || b.segs[n-1].nested != nil || b.segs[n-1].key != "" {
		b.segs = append(b.segs, segment{})
	}
	s := &b.segs[len(b.segs)-1]
	t := &s.v6
	if p.Addr().Is4() {
		t = &s.v4
	}
	if *t == nil {
		*t = newTrie(p.Addr().BitLen())
	}
	(*t).insert(p, b.pos, deny)
	b.pos++
}

func (b *builder) addNested(l *List, deny bool) {
	b.elements += l.elements
	b.keys = b.keys || l.keys
	b.segs = append(b.segs, segment{nested: l, deny: deny})
}

func (b *builder) addKey(name string, deny bool) {
	b.elements++
	b.keys = true
	b.segs = append(b.segs, segment{key: name, deny: deny})
}

func (b *builder) list() *List { return &List{segs: b.segs, elements: b.elements, keys: b.keys} }
