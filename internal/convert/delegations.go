package convert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
	"github.com/miekg/dns"
)

// delegated is a primary zone with zone cuts below its apex, and how BIND
// resolves the names below them for clients allowed recursion.
type delegated struct {
	zone     *namedconf.Statement
	name     string
	children []string // the cuts, fully qualified, sorted
	forward  bool     // through the forwarders (global forwarders, no empty zone forwarders)
	approx   string   // why forward only part-way matches BIND, if it does not
	// noForward is the zone's empty forwarders { }, which turns the
	// global forwarders off for it.
	noForward *namedconf.Statement
}

// zoneCuts returns the names strictly below the apex that own NS records
// in a primary zone's file, the topmost cut of each branch only (names
// below a cut are glue or occluded data, not further cuts of this zone).
func zoneCuts(path, name string) ([]string, error) {
	rrs, err := namedconf.ReadZone(path, name)
	if err != nil {
		return nil, err
	}
	apex := strings.ToLower(dns.Fqdn(name))
	seen := map[string]bool{}
	var cuts []string
	for _, rr := range rrs {
		h := rr.Header()
		owner := strings.ToLower(h.Name)
		if h.Rrtype != dns.TypeNS || owner == apex || !dns.IsSubDomain(apex, owner) || seen[owner] {
			continue
		}
		seen[owner] = true
		cuts = append(cuts, owner)
	}
	var top []string
	for _, c := range cuts {
		below := false
		for _, o := range cuts {
			below = below || (o != c && dns.IsSubDomain(o, c))
		}
		if !below {
			top = append(top, strings.TrimSuffix(c, "."))
		}
	}
	sort.Strings(top)
	return top, nil
}

// delegatedZones finds, for a server block that recurses, the primary zones
// whose files delegate names below the apex: BIND resolves those names for
// clients allowed recursion (through the forwarders with forward only and
// no empty forwarders { }; in the zone, else from the zone's own NS and
// glue), where CoreDNS's file plugin would hand back the referral.
func (c *converter) delegatedZones(vbody, zones []*namedconf.Statement) []delegated {
	var ds []delegated
	for _, z := range zones {
		if normType(namedconf.ZoneType(z)) != "primary" {
			continue
		}
		if cl := strings.ToUpper(z.Arg(1)); cl != "" && cl != "IN" {
			continue
		}
		fs := namedconf.Find(z.Body(), "file")
		if fs == nil {
			continue
		}
		path, ok := c.cfg.Resolve(fs.Arg(0), fs.Pos.File)
		if !ok {
			continue
		}
		name := zoneName(z)
		cuts, err := zoneCuts(path, name)
		if err != nil || len(cuts) == 0 {
			continue
		}
		d := delegated{zone: z, name: name, children: cuts}
		global := get("forwarders", vbody, c.options)
		zf := namedconf.Find(z.Body(), "forwarders")
		switch {
		case zf != nil && len(c.serversOf(zf)) == 0:
			d.noForward = zf // marked once the block's delegations are known
		case global != nil && len(c.serversOf(global)) > 0:
			d.forward = true
			if zf != nil {
				d.approx = "the zone's own forwarders are not used for the names below its delegations: delegations forward hands them to the server block's forward (the global forwarders)"
				c.mark(zf, Approx, "see the zone")
			}
			if pol := get("forward", z.Body(), vbody, c.options); pol == nil || !strings.EqualFold(pol.Arg(0), "only") {
				d.approx = "forward first: BIND resolves the names below the delegations itself when the forwarders fail; delegations forward answers SERVFAIL"
			}
		case zf != nil:
			d.approx = "the zone's own forwarders are not used: the names below its delegations are resolved through the delegated servers"
			c.mark(zf, Approx, "see the zone")
		}
		ds = append(ds, d)
	}
	return ds
}

func (c *converter) serversOf(list *namedconf.Statement) []server {
	var problems []string
	return c.servers(list.Body(), listPort(list, "53"), 0, &problems)
}

// delegations writes the delegations directive of a recursing server block
// and returns the delegated names, which cache must leave out: it keys its
// entries without the RD bit, so an RD=0 referral would be served to RD=1
// queries and a resolved answer to RD=0 ones (stubzones README, Bugs).
// CoreDNS takes one delegations per server block: when some zones resolve
// through the forwarders and others through their delegated servers, the
// forwarders win and the others are reported approximated.
func (c *converter) delegations(b *serverBlock, vbody, zones []*namedconf.Statement) []string {
	ds := c.delegatedZones(vbody, zones)
	if len(ds) == 0 {
		return nil
	}
	forward := false
	for _, d := range ds {
		forward = forward || d.forward
	}
	// The answers below a delegation come back with an empty authority
	// section, as BIND's default no-auth-recursive gives them; with
	// minimal-responses no BIND adds the delegated zone's NS records.
	if m := get("minimal-responses", vbody, c.options); m != nil {
		switch strings.ToLower(m.Arg(0)) {
		case "no", "false", "0":
			for i := range ds {
				if ds[i].approx == "" {
					ds[i].approx = "the answers carry no authority section, where BIND with minimal-responses no adds the delegated zone's NS records"
				}
			}
		}
	}
	var names, children []string
	var from []namedconf.Pos
	for _, d := range ds {
		names = append(names, d.name)
		children = append(children, d.children...)
		from = append(from, d.zone.Pos)
		what := fmt.Sprintf("zone %q: names below its delegations (%s)", d.name, strings.Join(d.children, " "))
		if c.scope != "" {
			what = strings.TrimPrefix(c.scope, "in ") + ": " + what
		}
		emitted := "delegations " + d.name
		if forward {
			emitted += " { forward }"
		}
		emitted += "; cache disable success/denial " + strings.Join(d.children, " ")
		if d.noForward != nil {
			if forward {
				c.mark(d.noForward, Approx, "see the zone")
			} else {
				c.mark(d.noForward, Carried, "delegations without forward: the names below the zone's delegations are resolved through the delegated servers")
			}
		}
		switch {
		case forward && !d.forward:
			c.note(d.zone.Pos, what, Approx, emitted+": one delegations per server block, so the names below this zone's delegations go to the forwarders like the other zones', where BIND (forwarders { }) resolves them through the delegated servers")
		case d.approx != "":
			c.note(d.zone.Pos, what, Approx, emitted+": "+d.approx)
		default:
			c.note(d.zone.Pos, what, Carried, emitted+": resolved for clients allowed recursion, as BIND does; RD=0 queries and other clients get the referral")
		}
	}
	head := "delegations " + strings.Join(names, " ")
	if forward {
		b.add("delegations", sub(head, []string{"forward"}), from...)
	} else {
		b.add("delegations", head, from...)
	}
	sort.Strings(children)
	return children
}
