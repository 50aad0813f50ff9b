package convert

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
	"github.com/miekg/dns"
)

func normType(t string) string {
	switch t {
	case "master":
		return "primary"
	case "slave":
		return "secondary"
	}
	return t
}

// zoneName is a zone's name as the Corefile writes it: lower case, without
// the trailing dot, the root as ".".
func zoneName(z *namedconf.Statement) string {
	n := strings.ToLower(strings.TrimSuffix(z.Arg(0), "."))
	if n == "" {
		return "."
	}
	return n
}

// hostPort writes an address and port as CoreDNS plugins read them.
func hostPort(addr, port string) string {
	if port == "" || port == "53" {
		return addr
	}
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + port
	}
	return addr + ":" + port
}

// server is one element of a primaries, forwarders or server-addresses list.
type server struct {
	addr, port, key string
	pos             namedconf.Pos
}

// servers expands a primaries/forwarders list: addresses with optional port
// and key, and names of masters/primaries lists (recursively).
func (c *converter) servers(body []*namedconf.Statement, defPort string, depth int, problems *[]string) []server {
	var out []server
	for _, s := range body {
		if len(s.Values) == 0 || s.Values[0].Kind == namedconf.Block {
			continue
		}
		name := s.Values[0].Text
		sv := server{port: defPort, pos: s.Pos}
		args := s.Args()
		for i := 0; i+1 < len(args); i += 2 {
			switch strings.ToLower(args[i].Text) {
			case "port":
				sv.port = args[i+1].Text
			case "key":
				sv.key = args[i+1].Text
			case "tls":
				*problems = append(*problems, fmt.Sprintf("%s: tls %s is not converted (plain DNS is used)", s.Pos, args[i+1].Text))
			}
		}
		if a, err := netip.ParseAddr(name); err == nil {
			sv.addr = a.String()
			out = append(out, sv)
			continue
		}
		if l, ok := c.lists[name]; ok && depth < 8 {
			p := defPort
			la := l.Args()
			for i := 0; i+1 < len(la); i++ {
				if strings.EqualFold(la[i].Text, "port") {
					p = la[i+1].Text
				}
			}
			sub := c.servers(l.Body(), p, depth+1, problems)
			for i := range sub {
				if sub[i].key == "" {
					sub[i].key = sv.key
				}
			}
			out = append(out, sub...)
			continue
		}
		*problems = append(*problems, fmt.Sprintf("%s: %q is neither an address nor a primaries list", s.Pos, name))
	}
	return out
}

func (c *converter) globalPort() string {
	if p := get("port", c.options); p != nil {
		return p.Arg(0)
	}
	return "53"
}

// stubKey groups stub zones that share every option into one stubzones.
type stubGroup struct {
	zones []string
	lines []string
	from  []namedconf.Pos
}

// zones carries the zones of one view (or the top level).
func (c *converter) zones(b *serverBlock, vbody, zones []*namedconf.Statement, keys map[string]bool) {
	var rfcLines []string
	var rfcFrom []namedconf.Pos
	var stubs []*stubGroup
	for _, z := range zones {
		body := z.Body()
		name := zoneName(z)
		if cl := strings.ToUpper(z.Arg(1)); cl != "" && cl != "IN" {
			c.mark(z, NotCarried, "class "+cl+" zones are not converted (CoreDNS serves class IN); chaosmask answers the CH identity names")
			continue
		}
		typ := normType(namedconf.ZoneType(z))
		if t := namedconf.Find(body, "type"); t != nil {
			c.mark(t, Carried, "")
		}
		switch typ {
		case "primary":
			fs := namedconf.Find(body, "file")
			if fs == nil {
				c.mark(z, NotCarried, "a primary zone needs a file")
				continue
			}
			path, ok := c.cfg.Resolve(fs.Arg(0), fs.Pos.File)
			c.mark(fs, Carried, "")
			b.add("file", fmt.Sprintf("file %s %s", quote(path), name), z.Pos)
			st, note := Carried, "file"
			if !ok {
				st, note = Approx, fmt.Sprintf("the zone file %s was not found here: check the path before starting CoreDNS", fs.Arg(0))
			}
			c.mark(z, st, note)
			if ok {
				l, f := c.rfc2317(z, name, path)
				rfcLines, rfcFrom = append(rfcLines, l...), append(rfcFrom, f...)
			}
			c.transfer(b, z, vbody, keys)
			c.zoneExtras(b, z)
		case "secondary":
			var problems []string
			var ps []server
			if s := namedconf.FindAny(body, "primaries", "masters"); s != nil {
				ps = c.servers(s.Body(), c.globalPort(), 0, &problems)
				c.mark(s, Carried, "secondary transfer from")
			}
			var addrs []string
			for _, p := range ps {
				addrs = append(addrs, hostPort(p.addr, p.port))
				if p.key != "" {
					problems = append(problems, fmt.Sprintf("transfers from %s are not signed with key %s: CoreDNS's secondary cannot sign them", p.addr, p.key))
				}
			}
			if len(addrs) == 0 {
				c.mark(z, NotCarried, "no primaries to transfer from")
				continue
			}
			b.add("secondary", sub("secondary "+name, []string{"transfer from " + strings.Join(addrs, " ")}), z.Pos)
			if fs := namedconf.Find(body, "file"); fs != nil {
				c.mark(fs, Approx, "CoreDNS keeps a secondary zone in memory only and transfers it again at start; BIND also saved it to this file")
			}
			if len(problems) > 0 {
				c.mark(z, Approx, strings.Join(problems, "; "))
			} else {
				c.mark(z, Carried, "secondary")
			}
			c.transfer(b, z, vbody, keys)
			c.zoneExtras(b, z)
		case "stub":
			c.stub(z, vbody, keys, &stubs)
		case "forward":
			// forwarders() writes it.
			c.mark(z, Carried, "forward")
		case "static-stub":
			c.mark(z, Approx, "forward to the server-addresses: BIND sends them iterative (RD=0) queries, the forward plugin recursive ones; the same answers from authoritative servers")
			if s := namedconf.Find(body, "server-names"); s != nil {
				c.mark(s, NotCarried, "server-names are not converted: the forward plugin needs addresses")
			}
		case "hint":
			c.mark(z, NotCarried, "root hints: CoreDNS has no iterative resolver; forward to a resolver you run")
			if fs := namedconf.Find(body, "file"); fs != nil {
				c.mark(fs, NotCarried, "root hints file: not needed without an iterative resolver")
			}
		case "redirect":
			c.mark(z, NotCarried, "NXDOMAIN redirection: no CoreDNS equivalent in corebind's build (the template plugin can synthesize answers)")
		case "in-view":
			c.mark(z, NotCarried, "in-view: write the zone in this view too (CoreDNS loads it once per server block)")
		case "":
			if iv := namedconf.Find(body, "in-view"); iv != nil {
				c.mark(z, NotCarried, "in-view: write the zone in this view too (CoreDNS loads it once per server block)")
				c.mark(iv, NotCarried, "see the zone")
			} else {
				c.mark(z, NotCarried, "a zone without a type")
			}
		default:
			c.mark(z, NotCarried, fmt.Sprintf("type %s zones are not converted", typ))
		}
	}
	for _, g := range stubs {
		b.add("stubzones", sub("stubzones "+strings.Join(g.zones, " "), g.lines), g.from...)
	}
	if len(rfcLines) > 0 {
		b.add("rfc2317", sub("rfc2317", rfcLines), rfcFrom...)
	}
}

// zoneExtras carries a zone's own allow-query (an acl rule for the zone,
// before the server-wide one) and marks the members of a primary or
// secondary zone that the zone's own conversion does not cover.
func (c *converter) zoneExtras(b *serverBlock, z *namedconf.Statement) {
	for _, s := range z.Body() {
		switch s.Name() {
		case "allow-query":
			list, bad := c.parseList(s.Body())
			rules, approx := c.flat(list, "allow", "block", "", map[string]bool{})
			if !endsWithAny(rules) {
				rules = append(rules, "block net *")
			}
			b.addOrdered("acl", sub("acl "+zoneName(z), coalesce(rules)), 1, s.Pos)
			if approx = append(approx, bad...); len(approx) > 0 {
				c.mark(s, Approx, "acl for the zone; "+strings.Join(dedupe(approx), "; "))
			} else {
				c.mark(s, Carried, "acl for the zone, before the server-wide rules")
			}
		case "notify":
			if strings.EqualFold(s.Arg(0), "no") {
				c.mark(s, Approx, "the transfer plugin notifies every address in its to list; there is no way to turn NOTIFY off")
			} else {
				c.mark(s, Approx, "the transfer plugin notifies the addresses in its to list, not the zone's NS hosts")
			}
		case "allow-update", "update-policy":
			c.mark(s, NotCarried, "dynamic updates are not converted; the zone is served read-only from its file (see CoreDNS's dynupdate plugin)")
		}
	}
}

// transfer carries allow-transfer (zone, view, options; BIND 9.18's default
// is any) and also-notify into the transfer plugin, with acl rules where the
// list is more than "any".
func (c *converter) transfer(b *serverBlock, z *namedconf.Statement, vbody []*namedconf.Statement, keys map[string]bool) {
	name := zoneName(z)
	at := get("allow-transfer", z.Body(), vbody, c.options)
	var to []string
	var from []namedconf.Pos
	if an := get("also-notify", z.Body(), vbody, c.options); an != nil {
		var problems []string
		for _, s := range c.servers(an.Body(), "53", 0, &problems) {
			to = append(to, hostPort(s.addr, s.port))
		}
		from = append(from, an.Pos)
		if len(problems) > 0 {
			c.mark(an, Approx, "transfer to (NOTIFY); "+strings.Join(problems, "; "))
		} else {
			c.mark(an, Carried, "transfer to: CoreDNS notifies these addresses")
		}
	}
	if at == nil {
		c.note(z.Pos, fmt.Sprintf("allow-transfer for %s (default)", name), Carried, "BIND 9.18 allows zone transfers to everyone by default: transfer to *")
		b.add("transfer", sub("transfer "+name, []string{"to " + strings.Join(append([]string{"*"}, to...), " ")}), append(from, z.Pos)...)
		return
	}
	from = append(from, at.Pos)
	list, bad := c.parseList(at.Body())
	if len(list) == 1 && list[0].Kind == eAny && !list[0].Not {
		c.mark(at, Carried, "transfer to *")
		b.add("transfer", sub("transfer "+name, []string{"to " + strings.Join(append([]string{"*"}, to...), " ")}), from...)
		return
	}
	rules, approx := c.flat(list, "allow", "block", " type AXFR IXFR", map[string]bool{})
	approx = append(approx, bad...)
	if len(rules) == 0 {
		if len(to) > 0 {
			// The to list is also who may transfer: an acl rule keeps them out.
			b.add("transfer", sub("transfer "+name, []string{"to " + strings.Join(to, " ")}), from...)
			b.addOrdered("acl", sub("acl "+name, []string{"block type AXFR IXFR net *"}), 1, at.Pos)
			c.mark(at, Carried, "transfers refused by an acl rule (the transfer plugin only notifies)")
		} else {
			c.mark(at, Carried, "no transfer plugin for this zone: transfers are refused")
		}
		return
	}
	if !endsWithAny(rules) {
		rules = append(rules, "block type AXFR IXFR net *")
	}
	b.add("transfer", sub("transfer "+name, []string{"to " + strings.Join(append([]string{"*"}, to...), " ")}), from...)
	b.addOrdered("acl", sub("acl "+name, coalesce(rules)), 1, at.Pos)
	if len(approx) > 0 {
		c.mark(at, Approx, "transfer to * limited by acl rules; "+strings.Join(dedupe(approx), "; "))
	} else {
		c.mark(at, Carried, "transfer to *, limited by acl rules for AXFR and IXFR")
	}
}

// stub carries a stub zone into stubzones, grouping zones with the same
// options.
func (c *converter) stub(z *namedconf.Statement, vbody []*namedconf.Statement, keys map[string]bool, groups *[]*stubGroup) {
	body := z.Body()
	name := zoneName(z)
	var problems []string
	pl := namedconf.FindAny(body, "primaries", "masters")
	if pl == nil {
		c.mark(z, NotCarried, "a stub zone needs primaries")
		return
	}
	c.mark(pl, Carried, "stubzones primaries")
	ps := c.servers(pl.Body(), c.globalPort(), 0, &problems)
	var addrs []string
	key := ""
	for _, p := range ps {
		addrs = append(addrs, hostPort(p.addr, p.port))
		if p.key != "" {
			if key != "" && key != p.key {
				problems = append(problems, "stubzones signs with one key per zone: "+key+" is used for every primary")
				continue
			}
			key = p.key
		}
	}
	if len(addrs) == 0 {
		c.mark(z, NotCarried, "no usable primaries")
		return
	}
	lines := []string{"primaries " + strings.Join(addrs, " ")}
	if fs := namedconf.Find(body, "file"); fs != nil {
		dir := filepath.Dir(fs.Arg(0))
		if !filepath.IsAbs(dir) {
			// Where the server will write: directory as written (like the
			// log files), not where this machine found the zone files.
			base := c.cfg.Directory
			if base == "" {
				base = filepath.Dir(c.cfg.File)
			}
			dir = filepath.Join(base, dir)
		}
		lines = append(lines, "dir "+quote(dir))
		c.mark(fs, Approx, "stubzones keeps its copy in the same directory under its own file name ("+dir+")")
	}
	if key != "" {
		if k, ok := c.keys[key]; ok {
			lines = append(lines, fmt.Sprintf("tsig %s %s %s", k.name, k.alg, k.secret))
		} else {
			problems = append(problems, "key "+key+" is not defined")
		}
	}
	for _, t := range [][2]string{{"min-refresh-time", "refresh-min"}, {"max-refresh-time", "refresh-max"}} {
		if s := get(t[0], body, vbody, c.options); s != nil {
			lines = append(lines, t[1]+" "+seconds(s.Arg(0))+"s")
			c.mark(s, Carried, "stubzones "+t[1])
		}
	}
	for _, t := range []string{"min-retry-time", "max-retry-time"} {
		if s := get(t, body, vbody, c.options); s != nil {
			c.mark(s, Approx, "stubzones clamps the retry interval with refresh-min and refresh-max too")
		}
	}
	if p := c.globalPort(); p != "53" {
		lines = append(lines, "port "+p)
	}
	fwd := get("forward", vbody, c.options)
	if len(c.forwardersOf(vbody)) > 0 && fwd != nil && strings.EqualFold(fwd.Arg(0), "only") {
		if zf := namedconf.Find(body, "forwarders"); zf == nil || len(zf.Body()) > 0 {
			problems = append(problems, "BIND forwards this stub zone's queries to the global forwarders (forward only applies unless the zone says forwarders { };), a classic trap; the Corefile resolves them through the stub zone's name servers, as a stub zone is meant to: add forwarders { }; to the zone in named.conf to make BIND do the same")
		}
	}
	if zf := namedconf.Find(body, "forwarders"); zf != nil && len(zf.Body()) == 0 {
		c.mark(zf, Carried, "the stub zone is resolved through its own name servers")
	}
	if len(problems) > 0 {
		c.mark(z, Approx, "stubzones; "+strings.Join(problems, "; "))
	} else {
		c.mark(z, Carried, "stubzones")
	}
	sig := strings.Join(lines, "\n")
	for _, g := range *groups {
		if strings.Join(g.lines, "\n") == sig {
			g.zones = append(g.zones, name)
			g.from = append(g.from, z.Pos)
			return
		}
	}
	*groups = append(*groups, &stubGroup{zones: []string{name}, lines: lines, from: []namedconf.Pos{z.Pos}})
}

func (c *converter) forwardersOf(vbody []*namedconf.Statement) []server {
	s := get("forwarders", vbody, c.options)
	if s == nil {
		return nil
	}
	var problems []string
	return c.servers(s.Body(), listPort(s, "53"), 0, &problems)
}

func listPort(s *namedconf.Statement, def string) string {
	a := s.Args()
	for i := 0; i+1 < len(a); i++ {
		if strings.EqualFold(a[i].Text, "port") {
			return a[i+1].Text
		}
	}
	return def
}

func hasForwardZone(zones []*namedconf.Statement) bool {
	for _, z := range zones {
		if t := normType(namedconf.ZoneType(z)); t == "forward" || t == "static-stub" {
			return true
		}
	}
	return false
}

// forwarders carries forward zones, static-stub zones and the global
// forwarders into forward directives, the most specific zone first.
func (c *converter) forwarders(b *serverBlock, vbody, zones []*namedconf.Statement) {
	type fz struct {
		name string
		line string
		pos  namedconf.Pos
	}
	var fzs []fz
	for _, z := range zones {
		t := normType(namedconf.ZoneType(z))
		if t != "forward" && t != "static-stub" {
			continue
		}
		var list *namedconf.Statement
		if t == "forward" {
			list = namedconf.Find(z.Body(), "forwarders")
		} else {
			list = namedconf.Find(z.Body(), "server-addresses")
		}
		if list == nil && t == "forward" {
			list = get("forwarders", vbody, c.options) // a forward zone without forwarders uses the global ones
		}
		if list == nil {
			c.mark(z, NotCarried, "no addresses to forward to")
			continue
		}
		var problems []string
		ss := c.servers(list.Body(), listPort(list, c.globalPort()), 0, &problems)
		if len(ss) == 0 {
			c.mark(z, NotCarried, "forwarders { }; turns forwarding off for the zone, which BIND then resolves itself; CoreDNS has no iterative resolver")
			continue
		}
		c.mark(list, Carried, "")
		var addrs []string
		for _, s := range ss {
			addrs = append(addrs, hostPort(s.addr, s.port))
		}
		if t == "forward" {
			pol := get("forward", z.Body(), vbody, c.options)
			if pol == nil || !strings.EqualFold(pol.Arg(0), "only") {
				n := "forward first (BIND's default): BIND resolves the zone itself when the forwarders fail; CoreDNS answers SERVFAIL"
				if pol != nil {
					c.mark(pol, Approx, n)
				} else {
					c.mark(z, Approx, n)
				}
			} else {
				c.mark(pol, Carried, "")
			}
		}
		fzs = append(fzs, fz{zoneName(z), fmt.Sprintf("forward %s %s", zoneName(z), strings.Join(addrs, " ")), z.Pos})
	}
	sort.SliceStable(fzs, func(i, j int) bool { return dns.CountLabel(fzs[i].name) > dns.CountLabel(fzs[j].name) })
	for _, f := range fzs {
		b.add("forward", f.line, f.pos)
	}
	rec := get("recursion", vbody, c.options)
	g := get("forwarders", vbody, c.options)
	if g == nil {
		if pol := get("forward", vbody, c.options); pol != nil {
			c.mark(pol, Carried, "no forwarders: nothing to forward")
		}
		return
	}
	ss := c.forwardersOf(vbody)
	if rec != nil && !yes(rec) {
		c.mark(g, Carried, "no effect with recursion no, as in BIND")
		return
	}
	if len(ss) == 0 {
		c.mark(g, Carried, "an empty list: no forwarding")
		return
	}
	var addrs []string
	for _, s := range ss {
		addrs = append(addrs, hostPort(s.addr, s.port))
	}
	from := []namedconf.Pos{g.Pos}
	pol := get("forward", vbody, c.options)
	if pol != nil {
		from = append(from, pol.Pos)
	}
	if pol == nil || !strings.EqualFold(pol.Arg(0), "only") {
		n := "forward first (BIND's default): BIND resolves from the root hints when the forwarders fail; CoreDNS answers SERVFAIL"
		if pol != nil {
			c.mark(pol, Approx, n)
		}
		c.mark(g, Approx, "forward .: "+n)
	} else {
		c.mark(pol, Carried, "")
		c.mark(g, Carried, "forward . (an upstream's AA bit is passed on, where BIND clears it: forward to resolvers, not authoritative servers)")
	}
	b.add("forward", "forward . "+strings.Join(addrs, " "), from...)
}
