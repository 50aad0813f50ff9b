package convert

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
)

// An address match list element, BIND's grammar.
type elemKind int

const (
	eAddr elemKind = iota // address or prefix, normalised
	eAny
	eNone
	eLocalhost
	eLocalnets
	eKey
	eACL // a named acl
	eNested
)

type elem struct {
	Not    bool
	Kind   elemKind
	Text   string // eAddr: the address or prefix; eKey: the key; eACL: the acl name
	Nested []elem
	Pos    namedconf.Pos
}

// parseList reads an address match list block. Errors (an element it cannot
// read) are returned as notes; the element is left out.
func (c *converter) parseList(body []*namedconf.Statement) ([]elem, []string) {
	var out []elem
	var bad []string
	for _, s := range body {
		if len(s.Values) == 0 {
			continue
		}
		v := s.Values[0]
		e := elem{Not: v.Not, Pos: s.Pos}
		switch {
		case v.Kind == namedconf.Block:
			e.Kind = eNested
			var b []string
			e.Nested, b = c.parseList(v.Block)
			bad = append(bad, b...)
		case v.Kind == namedconf.Word && strings.EqualFold(v.Text, "key"):
			e.Kind, e.Text = eKey, s.Arg(0)
		default:
			switch t := strings.ToLower(v.Text); t {
			case "any":
				e.Kind = eAny
			case "none":
				e.Kind = eNone
			case "localhost":
				e.Kind = eLocalhost
			case "localnets":
				e.Kind = eLocalnets
			default:
				if a, ok := normAddr(v.Text); ok {
					e.Kind, e.Text = eAddr, a
				} else if _, ok := c.acls[v.Text]; ok {
					e.Kind, e.Text = eACL, v.Text
				} else {
					bad = append(bad, fmt.Sprintf("%s: %q is neither an address nor a defined acl", s.Pos, v.Text))
					continue
				}
			}
		}
		out = append(out, e)
	}
	return out, bad
}

// normAddr accepts what BIND accepts as an address or prefix, including the
// short IPv4 prefixes ("10/8", "192.168/16"), and writes it in full.
func normAddr(s string) (string, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String(), true
	}
	ip, bits, ok := strings.Cut(s, "/")
	if !ok {
		return "", false
	}
	if !strings.Contains(ip, ":") {
		for strings.Count(ip, ".") < 3 {
			ip += ".0"
		}
	}
	p, err := netip.ParsePrefix(ip + "/" + bits)
	if err != nil {
		return "", false
	}
	return p.String(), true
}

// aclBody returns the parsed body of a named acl (nil for an unknown one).
func (c *converter) aclBody(name string) []elem {
	s := c.acls[name]
	if s == nil {
		return nil
	}
	l, _ := c.parseList(s.Body())
	return l
}

// recursionacl renders a list for recursionacl, which reads BIND's elements
// itself: named acls and keys are kept, nested lists become named acls.
// defs collects the acl lines the list needs, in definition order.
type aclDefs struct {
	names []string
	lines map[string]string
	n     int
}

func (d *aclDefs) add(name, line string) {
	if d.lines == nil {
		d.lines = map[string]string{}
	}
	if _, ok := d.lines[name]; ok {
		return
	}
	d.names = append(d.names, name)
	d.lines[name] = line
}

// words writes an element that needs no acl definition (an address, any,
// none, localhost, localnets, a key) as the Corefile tokens both
// recursionacl and chaosmask take, with its negation; nil for acl names and
// nested lists, which each caller writes its own way.
func (e elem) words() []string {
	neg := ""
	if e.Not {
		neg = "!"
	}
	switch e.Kind {
	case eAddr:
		return []string{neg + e.Text}
	case eAny:
		return []string{neg + "any"}
	case eNone:
		return []string{neg + "none"}
	case eLocalhost:
		return []string{neg + "localhost"}
	case eLocalnets:
		return []string{neg + "localnets"}
	case eKey:
		return []string{neg + "key", keyName(e.Text)}
	}
	return nil
}

func (c *converter) raclTokens(list []elem, defs *aclDefs, keys map[string]bool) []string {
	var out []string
	for _, e := range list {
		neg := ""
		if e.Not {
			neg = "!"
		}
		switch e.Kind {
		case eACL:
			name := aclName(e.Text)
			if _, ok := defs.lines[name]; !ok {
				defs.add(name, "") // reserve, so a loop cannot recurse forever
				defs.lines[name] = strings.Join(c.raclTokens(c.aclBody(e.Text), defs, keys), " ")
			}
			out = append(out, neg+name)
		case eNested:
			defs.n++
			name := fmt.Sprintf("nested-%d", defs.n)
			defs.add(name, "")
			defs.lines[name] = strings.Join(c.raclTokens(e.Nested, defs, keys), " ")
			out = append(out, neg+name)
		default:
			if e.Kind == eKey {
				keys[e.Text] = true
			}
			out = append(out, e.words()...)
		}
	}
	return out
}

// aclName makes a named.conf acl name usable as one Corefile token.
func aclName(s string) string {
	if strings.ContainsAny(s, " \t{}#\"") || s == "" {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(" \t{}#\"", r) {
				return '_'
			}
			return r
		}, s)
	}
	return s
}

func keyName(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) + "." }

// flat turns a first-match list into CoreDNS acl policies ("allow net X",
// "block net Y"). pass and deny are the actions of a positive and a
// negative match. It reports what it could not carry exactly.
func (c *converter) flat(list []elem, pass, deny, types string, seen map[string]bool) (rules, approx []string) {
	for _, e := range list {
		act := pass
		if e.Not {
			act = deny
		}
		switch e.Kind {
		case eAddr:
			rules = append(rules, fmt.Sprintf("%s%s net %s", act, types, e.Text))
		case eAny:
			rules = append(rules, fmt.Sprintf("%s%s net *", act, types))
		case eNone:
		case eLocalhost, eLocalnets:
			pfx := c.local(e.Kind == eLocalnets)
			if len(pfx) > 0 {
				rules = append(rules, fmt.Sprintf("%s%s net %s", act, types, strings.Join(pfx, " ")))
			}
			approx = append(approx, fmt.Sprintf("%s expanded to this machine's %s at conversion time (%s)",
				map[bool]string{true: "localnets", false: "localhost"}[e.Kind == eLocalnets],
				map[bool]string{true: "networks", false: "addresses"}[e.Kind == eLocalnets], strings.Join(pfx, " ")))
		case eKey:
			approx = append(approx, fmt.Sprintf("key %s left out: the acl plugin cannot match TSIG keys", e.Text))
		case eACL, eNested:
			inner, ok := c.inline(e, seen)
			if !ok {
				continue
			}
			for _, ie := range inner {
				if ie.Not {
					approx = append(approx, "a negated element inside a nested list or acl (BIND: no match, try the next element) is left out")
					inner = positives(inner)
					break
				}
			}
			r, a := c.flat(inner, act, act, types, seen)
			rules, approx = append(rules, r...), append(approx, a...)
		}
	}
	return rules, approx
}

// inline returns the elements an acl name or a nested list stands for, to
// be written in its place; false for an acl already inlined in this list
// (a repeat, or a loop BIND would reject).
func (c *converter) inline(e elem, seen map[string]bool) ([]elem, bool) {
	if e.Kind != eACL {
		return e.Nested, true
	}
	if seen[e.Text] {
		return nil, false
	}
	seen[e.Text] = true
	return c.aclBody(e.Text), true
}

func positives(l []elem) []elem {
	var out []elem
	for _, e := range l {
		if !e.Not {
			out = append(out, e)
		}
	}
	return out
}

// expr turns a first-match list into a boolean expression for the view
// plugin, exact for nesting and negation: a positive element matches with
// `m || rest`, a negated one with `!m && rest`, and a nested list is its
// own first-match expression. fn is the address function (client_ip or
// server_ip).
func (c *converter) expr(list []elem, fn string, seen map[string]bool, approx *[]string) string {
	rest := "false"
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		m := c.match(e, fn, seen, approx)
		if e.Not {
			rest = simplifyAnd("!"+paren(m), rest)
		} else {
			rest = simplifyOr(m, rest)
		}
	}
	return rest
}

func (c *converter) match(e elem, fn string, seen map[string]bool, approx *[]string) string {
	ip := fmt.Sprintf("trim(%s(), '[]')", fn)
	in := func(pfx ...string) string {
		var parts []string
		for _, p := range pfx {
			if !strings.Contains(p, "/") {
				if strings.Contains(p, ":") {
					p += "/128"
				} else {
					p += "/32"
				}
			}
			parts = append(parts, fmt.Sprintf("incidr(%s, '%s')", ip, p))
		}
		if len(parts) == 0 {
			return "false"
		}
		return strings.Join(parts, " || ")
	}
	switch e.Kind {
	case eAddr:
		return in(e.Text)
	case eAny:
		return "true"
	case eNone:
		return "false"
	case eLocalhost, eLocalnets:
		pfx := c.local(e.Kind == eLocalnets)
		*approx = append(*approx, fmt.Sprintf("localhost/localnets expanded to this machine's (%s) at conversion time", strings.Join(pfx, " ")))
		return in(pfx...)
	case eKey:
		*approx = append(*approx, fmt.Sprintf("key %s cannot be matched by a view expression: treated as no match", e.Text))
		return "false"
	case eACL:
		if seen[e.Text] {
			return "false"
		}
		seen[e.Text] = true
		defer delete(seen, e.Text)
		return paren(c.expr(c.aclBody(e.Text), fn, seen, approx))
	case eNested:
		return paren(c.expr(e.Nested, fn, seen, approx))
	}
	return "false"
}

func paren(s string) string {
	if s == "true" || s == "false" || !strings.ContainsAny(s, "|&") {
		return s
	}
	return "(" + s + ")"
}

func simplifyOr(a, b string) string {
	switch {
	case a == "true" || b == "false":
		if a == "true" {
			return "true"
		}
		return a
	case a == "false":
		return b
	case b == "true":
		return "true"
	}
	return a + " || " + b
}

func simplifyAnd(a, b string) string {
	switch {
	case a == "!false":
		return b
	case a == "!true" || b == "false":
		return "false"
	case b == "true":
		return a
	}
	return a + " && " + paren(b)
}

// coalesce joins adjacent acl policies with the same action and types into
// one line ("allow net A B C"): the acl plugin checks one policy's sources
// in a single lookup, and one line per element makes a long list several
// times slower (REFERENCE.md: 1,000 CIDRs on one line 0.91x, on 1,000
// lines 0.16x). The first-match order is kept.
func coalesce(rules []string) []string {
	var out []string
	lastHead := ""
	for _, r := range rules {
		head, nets, ok := strings.Cut(r, " net ")
		if ok && len(out) > 0 && head == lastHead && nets != "*" && !strings.HasSuffix(out[len(out)-1], " *") {
			out[len(out)-1] += " " + nets
			continue
		}
		out = append(out, r)
		lastHead = head
		if !ok {
			lastHead = ""
		}
	}
	return out
}
