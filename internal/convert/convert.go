// Package convert turns a parsed named.conf into a corebind Corefile and a
// report that says, statement by statement, what was carried, what was
// approximated (and how it differs) and what was not carried (why, and what
// to do instead).
package convert

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
)

// Options tune a conversion.
type Options struct {
	// Hostname is what BIND answers to hostname.bind when named.conf does
	// not set it: the host name. Default: os.Hostname().
	Hostname string
	// Local holds this machine's interface prefixes, for localhost and
	// localnets where a CoreDNS plugin cannot read them itself. Default:
	// the interfaces of the converting machine.
	Local []netip.Prefix
}

// Result is a converted configuration.
type Result struct {
	Corefile string
	Entries  []Entry
}

type mark struct {
	status Status
	note   string
	scope  string // the view it is about, for inherited options
}

type tsigKey struct {
	name, alg, secret string
	pos               namedconf.Pos
}

type converter struct {
	cfg     *namedconf.Config
	o       Options
	acls    map[string]*namedconf.Statement
	keys    map[string]tsigKey
	lists   map[string]*namedconf.Statement // masters / primaries lists
	options []*namedconf.Statement
	marks   map[*namedconf.Statement][]mark
	extra   []Entry // entries about defaults, not tied to a statement's own line
	blocks  []*serverBlock
	rfcSeen map[string]bool
	// scope names the view being converted ("" without views), so that a
	// statement of options that each view inherits says which view a note
	// is about; inView holds the view's own statements.
	scope  string
	inView map[*namedconf.Statement]bool
	// reveal lists the clients of a CH view: chaosmask shows them the
	// real identity answers.
	reveal     []string
	revealFrom []namedconf.Pos
	revealKeys map[string]bool
}

// Convert converts a parsed named.conf.
func Convert(cfg *namedconf.Config, o Options) (*Result, error) {
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
	}
	if o.Local == nil {
		o.Local = interfacePrefixes()
	}
	c := &converter{
		cfg: cfg, o: o,
		acls: map[string]*namedconf.Statement{}, keys: map[string]tsigKey{},
		lists: map[string]*namedconf.Statement{}, marks: map[*namedconf.Statement][]mark{},
		rfcSeen: map[string]bool{},
	}
	c.options = cfg.Options()
	for _, s := range cfg.Statements {
		switch s.Name() {
		case "acl":
			c.acls[s.Arg(0)] = s
			c.mark(s, Carried, "")
		case "key":
			c.addKey(s)
		case "masters", "primaries":
			c.lists[s.Arg(0)] = s
			c.mark(s, Carried, "used where zones name it")
		}
	}
	var views []*namedconf.Statement
	for _, s := range cfg.Statements {
		if s.Name() == "view" {
			views = append(views, s)
		}
	}
	if len(views) == 0 {
		var zones []*namedconf.Statement
		for _, s := range cfg.Statements {
			if s.Name() == "zone" {
				zones = append(zones, s)
			}
		}
		c.server("options and top-level zones", nil, zones)
	} else {
		for _, v := range views {
			if cl := strings.ToUpper(v.Arg(1)); cl == "CH" || cl == "CHAOS" {
				c.chaosView(v)
				continue
			} else if cl != "" && cl != "IN" {
				c.mark(v, NotCarried, "a view of class "+cl+" is not converted")
				continue
			}
			var zones []*namedconf.Statement
			for _, s := range v.Body() {
				if s.Name() == "zone" {
					zones = append(zones, s)
				}
			}
			c.server(fmt.Sprintf("view %q", v.Arg(0)), v, zones)
		}
		for _, s := range cfg.Statements {
			if s.Name() == "zone" {
				c.mark(s, NotCarried, "BIND refuses a top-level zone when views are defined (named-checkconf: 'when using 'view' statements, all zones must be in views'); move it into a view")
			}
		}
	}
	c.logging()

	var sb strings.Builder
	fmt.Fprintf(&sb, "# Converted from %s by named2corefile.\n", c.rel(namedconf.Pos{File: cfg.File}))
	sb.WriteString("# Comments name the named.conf lines each block and directive came from.\n")
	for _, b := range c.blocks {
		sb.WriteString("\n")
		b.write(&sb, func(p namedconf.Pos) string { return c.rel(p) })
	}
	return &Result{Corefile: sb.String(), Entries: c.entries()}, nil
}

// rel names a file relative to the top-level file's directory, for comments
// and the report.
func (c *converter) rel(p namedconf.Pos) string {
	base := filepath.Dir(c.cfg.File)
	if r, err := filepath.Rel(base, p.File); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p.File
}

func (c *converter) mark(s *namedconf.Statement, st Status, note string) {
	scope := ""
	if c.scope != "" && !c.inView[s] {
		scope = c.scope
	}
	for _, m := range c.marks[s] {
		if m.status == st && m.note == note && m.scope == scope {
			return
		}
	}
	c.marks[s] = append(c.marks[s], mark{st, note, scope})
}

func (c *converter) note(pos namedconf.Pos, what string, st Status, note string) {
	for _, e := range c.extra {
		if e.Pos == pos && e.What == what && e.Note == note {
			return
		}
	}
	c.extra = append(c.extra, Entry{Pos: pos, What: what, Status: st, Note: note})
}

// get returns the first statement named name in the scopes, innermost first.
func get(name string, scopes ...[]*namedconf.Statement) *namedconf.Statement {
	for _, sc := range scopes {
		if s := namedconf.Find(sc, name); s != nil {
			return s
		}
	}
	return nil
}

func yes(s *namedconf.Statement) bool {
	switch strings.ToLower(s.Arg(0)) {
	case "yes", "true", "1":
		return true
	}
	return false
}

func (c *converter) addKey(s *namedconf.Statement) {
	k := tsigKey{name: keyName(s.Arg(0)), pos: s.Pos, alg: "hmac-md5"}
	if a := namedconf.Find(s.Body(), "algorithm"); a != nil {
		k.alg = strings.ToLower(a.Arg(0))
	}
	if sec := namedconf.Find(s.Body(), "secret"); sec != nil {
		k.secret = sec.Arg(0)
	}
	c.keys[s.Arg(0)] = k
	c.keys[k.name] = k
	c.mark(s, Carried, "as a tsig secret where a converted list or transfer names it")
}

// server builds the server block of one view (view nil: no views).
func (c *converter) server(title string, view *namedconf.Statement, zones []*namedconf.Statement) {
	var vbody []*namedconf.Statement
	var from []namedconf.Pos
	if view != nil {
		vbody = view.Body()
		from = append(from, view.Pos)
		c.mark(view, Carried, "")
		c.scope, c.inView = fmt.Sprintf("in view %q", view.Arg(0)), map[*namedconf.Statement]bool{view: true}
		var walk func([]*namedconf.Statement)
		walk = func(b []*namedconf.Statement) {
			for _, s := range b {
				c.inView[s] = true
				walk(s.Body())
			}
		}
		walk(vbody)
		defer func() { c.scope, c.inView = "", nil }()
	}
	if o := namedconf.Find(c.cfg.Statements, "options"); o != nil {
		from = append(from, o.Pos)
	}
	b := &serverBlock{title: title, from: from}
	keys := map[string]bool{}

	port, binds := c.listen(b)
	b.keys = []string{".:" + port}
	if view != nil {
		c.viewFilter(b, view)
	}
	if len(binds) > 0 {
		b.add("bind", "bind "+strings.Join(binds, " "), c.listenPos()...)
	}
	c.chaos(b)
	c.recursion(b, vbody, zones, keys)
	c.access(b, vbody, keys)
	c.minimal(b, vbody)
	c.rateLimit(b, vbody)
	c.zones(b, vbody, zones, keys)
	c.forwarders(b, vbody, zones)
	for k := range c.revealKeys {
		keys[k] = true
	}
	c.tsig(b, keys)
	c.blocks = append(c.blocks, b)
}

func (c *converter) listenPos() []namedconf.Pos {
	var ps []namedconf.Pos
	for _, s := range c.options {
		if s.Name() == "listen-on" || s.Name() == "listen-on-v6" || s.Name() == "port" {
			ps = append(ps, s.Pos)
		}
	}
	return ps
}

// chaosView carries a class CH view: the clients its match-clients lets
// in see the real identity answers (chaosmask reveal, with the chaos
// plugin answering), everyone else what version, hostname and server-id
// say.
func (c *converter) chaosView(v *namedconf.Statement) {
	mc := namedconf.Find(v.Body(), "match-clients")
	if mc == nil {
		c.mark(v, Approx, "a CH view for every client: chaosmask reveal any")
		c.reveal = []string{"any"}
		c.revealFrom = []namedconf.Pos{v.Pos}
		return
	}
	list, bad := c.parseList(mc.Body())
	var approx []string
	if c.revealKeys == nil {
		c.revealKeys = map[string]bool{}
	}
	c.reveal = c.plainElements(list, map[string]bool{}, &approx, c.revealKeys)
	c.revealFrom = []namedconf.Pos{v.Pos, mc.Pos}
	approx = append(approx, bad...)
	note := "chaosmask reveal: these clients see CoreDNS's real identity answers (the chaos plugin), not the view's own zone data"
	if len(approx) > 0 {
		note += "; " + strings.Join(dedupe(approx), "; ")
	}
	c.mark(v, Approx, note)
	c.mark(mc, Carried, "chaosmask reveal")
	var walk func([]*namedconf.Statement)
	walk = func(body []*namedconf.Statement) {
		for _, s := range body {
			if s != mc {
				c.mark(s, Approx, "the CH view's data is not converted: chaosmask answers")
				if s.Name() == "zone" {
					walk(s.Body())
				}
			}
		}
	}
	walk(v.Body())
}

// plainElements writes a list with named acls and nested lists inlined,
// for plugins that take BIND elements but no acl names (chaosmask reveal,
// rrl exempt-clients). Inlining is exact unless a negated element sits
// inside an inlined list. The keys named are added to keys; with keys nil
// the plugin takes none, and they are left out (and said in approx).
func (c *converter) plainElements(list []elem, seen map[string]bool, approx *[]string, keys map[string]bool) []string {
	var out []string
	for _, e := range list {
		switch e.Kind {
		case eACL, eNested:
			inner, ok := c.inline(e, seen)
			if !ok {
				continue
			}
			if e.Not || len(positives(inner)) != len(inner) {
				*approx = append(*approx, "a negated list, or negations inside a list, are inlined without BIND's nesting rule")
			}
			for _, x := range c.plainElements(inner, seen, approx, keys) {
				if e.Not && !strings.HasPrefix(x, "!") {
					x = "!" + x
				}
				out = append(out, x)
			}
		default:
			if e.Kind == eKey {
				if keys == nil {
					*approx = append(*approx, "key "+e.Text+" left out: the list takes no keys")
					continue
				}
				keys[e.Text] = true
			}
			out = append(out, e.words()...)
		}
	}
	return out
}

// listen carries listen-on, listen-on-v6 and port: the server block's port
// and the bind plugin's addresses (none: every address, as BIND's default).
func (c *converter) listen(b *serverBlock) (string, []string) {
	port := "53"
	if p := get("port", c.options); p != nil {
		port = p.Arg(0)
		c.mark(p, Carried, "the server block's port")
	}
	var v4, v6 []string
	v4any, v6any := true, true
	seen4, seen6 := false, false
	for _, s := range c.options {
		n := s.Name()
		if n != "listen-on" && n != "listen-on-v6" {
			continue
		}
		args := s.Args()
		for i := 0; i+1 < len(args); i++ {
			switch strings.ToLower(args[i].Text) {
			case "port":
				port = args[i+1].Text
			case "tls", "http":
				c.mark(s, NotCarried, "DNS over TLS/HTTPS listeners are not converted; write a tls:// or https:// server block with the tls plugin")
			}
		}
		list, bad := c.parseList(s.Body())
		var addrs []string
		any, approx := false, bad
		for _, e := range list {
			switch {
			case e.Kind == eAddr && !e.Not && !strings.Contains(e.Text, "/"):
				addrs = append(addrs, e.Text)
			case e.Kind == eAny && !e.Not:
				any = true
			case e.Kind == eNone && !e.Not:
			default:
				approx = append(approx, "only plain addresses, any and none become bind addresses")
			}
		}
		if n == "listen-on" {
			seen4, v4any = true, any && len(addrs) == 0
			v4 = append(v4, addrs...)
		} else {
			seen6, v6any = true, any && len(addrs) == 0
			v6 = append(v6, addrs...)
		}
		if len(approx) > 0 {
			c.mark(s, Approx, strings.Join(approx, "; "))
		} else {
			c.mark(s, Carried, "")
		}
	}
	_ = seen4
	if v4any && v6any {
		return port, nil // every address: no bind
	}
	var binds []string
	if v4any {
		binds = append(binds, "0.0.0.0")
	} else {
		binds = append(binds, v4...)
	}
	if v6any && !seen6 && len(v4) > 0 {
		c.note(c.optionsPos(), "listen-on-v6 (default { any; })", Approx,
			"BIND 9.18 listens on every IPv6 address by default; the Corefile binds only the listen-on addresses: add listen-on-v6 { none; } to say so, or add the IPv6 addresses to bind")
	} else if v6any {
		binds = append(binds, "::")
	} else {
		binds = append(binds, v6...)
	}
	return port, binds
}

func (c *converter) optionsPos() namedconf.Pos {
	if o := namedconf.Find(c.cfg.Statements, "options"); o != nil {
		return o.Pos
	}
	return namedconf.Pos{File: c.cfg.File, Line: 1}
}

// viewFilter carries match-clients, match-destinations and
// match-recursive-only as a view plugin expression, exact for BIND's
// first-match lists with nesting and negation.
func (c *converter) viewFilter(b *serverBlock, v *namedconf.Statement) {
	var parts []string
	var from []namedconf.Pos
	for _, n := range []string{"match-clients", "match-destinations"} {
		s := namedconf.Find(v.Body(), n)
		if s == nil {
			continue
		}
		fn := "client_ip"
		if n == "match-destinations" {
			fn = "server_ip"
		}
		list, bad := c.parseList(s.Body())
		approx := bad
		e := c.expr(list, fn, map[string]bool{}, &approx)
		if e != "true" {
			parts = append(parts, paren(e))
		}
		from = append(from, s.Pos)
		if len(approx) > 0 {
			c.mark(s, Approx, strings.Join(dedupe(approx), "; "))
		} else {
			c.mark(s, Carried, "view plugin expression")
		}
	}
	if s := namedconf.Find(v.Body(), "match-recursive-only"); s != nil {
		if yes(s) {
			c.mark(s, NotCarried, "the view plugin cannot see the RD bit; the view matches RD=0 queries too")
		} else {
			c.mark(s, Carried, "")
		}
	}
	expr := "true"
	if len(parts) > 0 {
		expr = strings.Join(parts, " && ")
	}
	name := strings.Map(func(r rune) rune {
		if r == ' ' || r == '"' || r == '{' || r == '}' || r == '#' {
			return '_'
		}
		return r
	}, v.Arg(0))
	b.add("view", sub("view "+name, []string{"expr " + expr}), append([]namedconf.Pos{v.Pos}, from...)...)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// chaos carries version, hostname and server-id: chaosmask answers what
// BIND would.
func (c *converter) chaos(b *serverBlock) {
	var lines []string
	var from []namedconf.Pos
	one := func(opt, dir, def string, defNote string, defStatus Status) {
		s := get(opt, c.options)
		if s == nil {
			if def != "" {
				lines = append(lines, dir+" "+quote(def))
			}
			c.note(c.optionsPos(), opt+" (default)", defStatus, defNote)
			return
		}
		from = append(from, s.Pos)
		v := s.Arg(0)
		if s.Values[1].Kind == namedconf.Word && strings.EqualFold(v, "none") {
			lines = append(lines, dir+" none")
		} else if opt == "server-id" && s.Values[1].Kind == namedconf.Word && strings.EqualFold(v, "hostname") {
			lines = append(lines, dir+" "+quote(c.o.Hostname))
		} else {
			lines = append(lines, dir+" "+quote(v))
		}
		c.mark(s, Approx, "chaosmask "+dir+": the same text, but with AA clear and no authority section, where BIND's built-in CH zone sets AA and adds its NS")
	}
	one("version", "version", "", "BIND answers version.bind with its own version string; the Corefile answers none (NOERROR, no records): set version \"TEXT\" to choose what is shown", Approx)
	one("hostname", "hostname", c.o.Hostname, fmt.Sprintf("BIND answers hostname.bind with the host name; the Corefile answers %q, this machine's name at conversion time", c.o.Hostname), Approx)
	one("server-id", "id", "", "server-id defaults to none in BIND: chaosmask id none", Carried)
	c.note(c.optionsPos(), "authors.bind (built in)", Approx, "BIND answers authors.bind with its authors' names; the Corefile answers none")
	if len(c.reveal) > 0 {
		lines = append(lines, "reveal "+strings.Join(c.reveal, " "))
		from = append(from, c.revealFrom...)
		b.addNote("chaos", "chaos", "the real answers for the revealed clients")
	}
	b.add("chaosmask", sub("chaosmask", lines), from...)
}

// recursion carries recursion, allow-recursion and allow-query-cache (and
// their -on forms) into recursionacl, with BIND's defaults: each list
// inherits the other, and both default to localnets; localhost.
func (c *converter) recursion(b *serverBlock, vbody, zones []*namedconf.Statement, keys map[string]bool) {
	rec := get("recursion", vbody, c.options)
	ar := get("allow-recursion", vbody, c.options)
	aq := get("allow-query-cache", vbody, c.options)
	var from []namedconf.Pos
	for _, s := range []*namedconf.Statement{rec, ar, aq} {
		if s != nil {
			from = append(from, s.Pos)
		}
	}
	for _, n := range []string{"allow-recursion-on", "allow-query-cache-on"} {
		if s := get(n, vbody, c.options); s != nil {
			c.mark(s, NotCarried, "recursionacl judges clients, not the address they asked; run a separate server block bound to those addresses (bind) for a different policy")
		}
	}
	defs := &aclDefs{}
	var allow []string
	var allowLines []string // allow and allow-file lines, in order, when an included file is kept as a file
	switch {
	case rec != nil && !yes(rec):
		allow = []string{"none"}
		c.mark(rec, Approx, "recursionacl allow none: authoritative data is still answered to everyone; other queries get REFUSED with EDE 18 (Prohibited), which BIND sends only when allow-recursion denies, not with recursion no")
		if ar != nil {
			c.mark(ar, Carried, "no effect with recursion no, as in BIND")
		}
		if aq != nil {
			c.mark(aq, Carried, "no effect with recursion no, as in BIND")
		}
	default:
		if rec != nil {
			c.mark(rec, Carried, "")
		}
		src := ar
		if src == nil {
			src = aq // each inherits the other
		}
		if src == nil {
			allow = []string{"localnets", "localhost"}
			c.note(c.optionsPos(), "allow-recursion / allow-query-cache (default)", Carried, "BIND's default localnets; localhost, written out in recursionacl")
		} else {
			list, bad := c.parseList(src.Body())
			allowLines = c.allowLines(src, list, defs, keys)
			allow = c.raclTokens(list, defs, keys)
			if len(allow) == 0 {
				allow = []string{"none"}
			}
			st, note := Carried, "recursionacl allow"
			if len(allowLines) > 0 {
				note = "recursionacl allow, the included list as allow-file (re-read when it changes)"
			}
			if len(bad) > 0 {
				st, note = Approx, "left out: "+strings.Join(bad, "; ")
			}
			c.mark(src, st, note)
			if other := map[bool]*namedconf.Statement{true: aq, false: ar}[src == ar]; other != nil && other != src {
				if sameList(other, src) {
					c.mark(other, Carried, "the same list as "+src.Name())
				} else {
					c.mark(other, Approx, fmt.Sprintf("recursionacl has one list for recursion and the cache; %s (line %d) is used for both", src.Name(), src.Pos.Line))
				}
			}
		}
		if len(c.forwardersOf(vbody)) == 0 && !hasForwardZone(zones) {
			b.addNote("forward", "# forward . RESOLVER...", "BIND resolved from the root hints here; CoreDNS has no iterative resolver: name a resolver you run")
			c.note(posOr(rec, c.optionsPos()), "recursion from the root hints", NotCarried,
				"CoreDNS has no iterative resolver: names outside the converted zones get SERVFAIL; add forward . RESOLVER... (a resolver you run, e.g. BIND or Unbound) to the block")
		}
		if ez := get("empty-zones-enable", vbody, c.options); ez == nil || yes(ez) {
			c.note(posOr(ez, c.optionsPos()), "empty-zones-enable (default yes)", Approx,
				"BIND answers the built-in empty zones (RFC 1918 and other private reverse zones) itself with NXDOMAIN; the Corefile forwards those queries")
		}
	}
	lines := make([]string, 0, len(defs.names)+1)
	for _, n := range defs.names {
		lines = append(lines, "acl "+n+" "+defs.lines[n])
	}
	if len(allowLines) > 0 {
		lines = append(lines, allowLines...)
	} else {
		lines = append(lines, "allow "+strings.Join(allow, " "))
	}
	if l := c.categoryLog("security"); l != "" {
		lines = append(lines, l)
	}
	b.add("recursionacl", sub("recursionacl", lines), from...)
	if rec == nil || yes(rec) {
		var auth []string
		for _, z := range zones {
			switch normType(namedconf.ZoneType(z)) {
			case "primary", "secondary":
				auth = append(auth, zoneName(z))
			}
		}
		cl := []string{"success 9984 604800", "denial 9984 10800"}
		if s := get("max-cache-ttl", vbody, c.options); s != nil {
			cl[0] = "success 9984 " + seconds(s.Arg(0))
			c.mark(s, Carried, "cache success TTL")
		}
		if s := get("max-ncache-ttl", vbody, c.options); s != nil {
			cl[1] = "denial 9984 " + seconds(s.Arg(0))
			c.mark(s, Carried, "cache denial TTL")
		}
		if s := get("max-cache-size", vbody, c.options); s != nil {
			c.mark(s, Approx, "CoreDNS's cache is sized in entries (9984 per kind by default), not bytes")
		}
		sort.Strings(auth)
		// The delegated names are inside the authoritative zones already
		// disabled; they are named too so that the cache keeps them out
		// even when the zone's own line is edited away.
		if auth = append(auth, c.delegations(b, vbody, zones)...); len(auth) > 0 {
			cl = append(cl, "disable success "+strings.Join(auth, " "), "disable denial "+strings.Join(auth, " "))
		}
		b.addNote("cache", sub("cache", cl), "BIND's cache: max-cache-ttl 7d and max-ncache-ttl 3h unless set; authoritative zones answered fresh")
	}
}

// minimal carries minimal-responses: BIND 9.18's default no-auth-recursive
// leaves the authority section of positive answers to RD=1 queries empty,
// where CoreDNS's file plugin always fills it.
func (c *converter) minimal(b *serverBlock, vbody []*namedconf.Statement) {
	s := get("minimal-responses", vbody, c.options)
	v := "no-auth-recursive"
	if s != nil {
		v = strings.ToLower(s.Arg(0))
	}
	switch v {
	case "no", "false", "0":
		if s != nil {
			c.mark(s, Carried, "CoreDNS's file plugin fills the authority section, as minimal-responses no")
		}
		return
	case "no-auth", "no-auth-recursive":
		n := "minimal: CoreDNS's minimal plugin empties authority and additional of every positive answer; BIND's " + v + " keeps them for RD=0 queries and keeps the referral's NS after a CNAME into a delegated zone"
		if v == "no-auth" {
			n = "minimal: CoreDNS's minimal plugin empties authority and additional of every positive answer; BIND's no-auth keeps the additional section"
		}
		if s != nil {
			c.mark(s, Approx, n)
		} else {
			c.note(c.optionsPos(), "minimal-responses (default no-auth-recursive)", Approx, n)
		}
	default:
		if s != nil {
			c.mark(s, Carried, "minimal")
		}
	}
	var from []namedconf.Pos
	if s != nil {
		from = append(from, s.Pos)
	}
	b.add("minimal", "minimal", from...)
}

// allowLines keeps a list file included straight into allow-recursion (or
// allow-query-cache) as recursionacl's allow-file, which re-reads it when it
// changes, when its text is one that allow-file reads the same way: elements
// and '#' comments only. It returns nil when there is no such file.
func (c *converter) allowLines(src *namedconf.Statement, list []elem, defs *aclDefs, keys map[string]bool) []string {
	included := map[string]bool{}
	for _, inc := range c.cfg.Includes {
		if inc.Pos.File == src.Pos.File && inc.Pos.Line >= src.Pos.Line && allowFileText(inc.File) {
			included[inc.File] = true
		}
	}
	if len(included) == 0 {
		return nil
	}
	var lines []string
	var run []elem
	flush := func() {
		if len(run) > 0 {
			lines = append(lines, "allow "+strings.Join(c.raclTokens(run, defs, keys), " "))
			run = nil
		}
	}
	last := ""
	for _, e := range list {
		if included[e.Pos.File] {
			if e.Pos.File != last {
				flush()
				lines = append(lines, "allow-file "+quote(e.Pos.File))
				last = e.Pos.File
			}
			continue
		}
		last = ""
		run = append(run, e)
	}
	flush()
	return lines
}

// allowFileText reports whether a named.conf fragment reads the same as a
// recursionacl allow-file: no C-style comments, strings or nested lists.
func allowFileText(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	t := string(b)
	return !strings.Contains(t, "//") && !strings.Contains(t, "/*") && !strings.ContainsAny(t, "{}\"")
}

func posOr(s *namedconf.Statement, p namedconf.Pos) namedconf.Pos {
	if s != nil {
		return s.Pos
	}
	return p
}

func sameList(a, b *namedconf.Statement) bool {
	var x, y []string
	for _, s := range a.Body() {
		x = append(x, s.String())
	}
	for _, s := range b.Body() {
		y = append(y, s.String())
	}
	return strings.Join(x, ";") == strings.Join(y, ";")
}

// seconds converts a BIND duration (plain seconds, or ISO 8601 / TTL-style
// units as 9.18 accepts) to seconds.
func seconds(s string) string {
	var n, total int
	seen := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= '0' && r <= '9':
			n = n*10 + int(r-'0')
			seen = true
		case r == 'w':
			total, n = total+n*604800, 0
		case r == 'd':
			total, n = total+n*86400, 0
		case r == 'h':
			total, n = total+n*3600, 0
		case r == 'm':
			total, n = total+n*60, 0
		case r == 's':
			total, n = total+n, 0
		}
	}
	if !seen {
		return s
	}
	return fmt.Sprint(total + n)
}

// access carries allow-query and blackhole into the acl plugin.
func (c *converter) access(b *serverBlock, vbody []*namedconf.Statement, keys map[string]bool) {
	var rules []string
	var from []namedconf.Pos
	if bh := get("blackhole", c.options); bh != nil {
		list, bad := c.parseList(bh.Body())
		r, approx := c.flat(list, "drop", "", "", map[string]bool{})
		var keep []string
		for _, x := range r {
			if !strings.HasPrefix(x, " ") { // a negated element has no action
				keep = append(keep, x)
			}
		}
		if len(keep) > 0 {
			b.addOrdered("acl", sub("acl", coalesce(keep)), 0, bh.Pos)
		}
		approx = append(approx, bad...)
		if len(approx) > 0 || len(keep) != len(r) {
			c.mark(bh, Approx, "acl drop; "+strings.Join(dedupe(append(approx, "negated elements are left out")), "; "))
		} else {
			c.mark(bh, Carried, "acl drop: no reply, as BIND")
		}
	}
	if aq := get("allow-query", vbody, c.options); aq != nil {
		list, bad := c.parseList(aq.Body())
		r, approx := c.flat(list, "allow", "block", "", map[string]bool{})
		rules = append(rules, r...)
		if !endsWithAny(r) {
			rules = append(rules, "block net *")
		}
		from = append(from, aq.Pos)
		approx = append(approx, bad...)
		if len(approx) > 0 {
			c.mark(aq, Approx, "acl plugin; "+strings.Join(dedupe(approx), "; "))
		} else {
			c.mark(aq, Carried, "acl plugin: REFUSED to everyone else, as BIND")
		}
	}
	if s := get("allow-query-on", vbody, c.options); s != nil {
		c.mark(s, NotCarried, "the acl plugin judges clients, not the address they asked; use a separate server block bound to those addresses (bind)")
	}
	if len(rules) > 0 {
		b.addOrdered("acl", sub("acl", coalesce(rules)), 2, from...)
	}
}

func endsWithAny(r []string) bool {
	return len(r) > 0 && strings.HasSuffix(r[len(r)-1], "net *")
}

// tsig defines the keys the block's lists and transfers name.
func (c *converter) tsig(b *serverBlock, keys map[string]bool) {
	if len(keys) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(keys))
	var lines []string
	var from []namedconf.Pos
	for _, n := range names {
		k, ok := c.keys[n]
		if !ok {
			c.note(c.optionsPos(), "key "+n, NotCarried, "the key is named but not defined in named.conf")
			continue
		}
		lines = append(lines, fmt.Sprintf("secret %s %s", k.name, k.secret))
		from = append(from, k.pos)
	}
	if len(lines) > 0 {
		b.add("tsig", sub("tsig", lines), from...)
	}
}

func interfacePrefixes() []netip.Prefix {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	out := []netip.Prefix{}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if p, err := netip.ParsePrefix(n.String()); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// local lists localhost (each address) or localnets (each network).
func (c *converter) local(nets bool) []string {
	var out []string
	for _, p := range c.o.Local {
		if nets {
			out = append(out, p.Masked().String())
		} else {
			out = append(out, p.Addr().String())
		}
	}
	return dedupe(out)
}
