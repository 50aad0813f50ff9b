package recursionacl

import (
	"context"
	"errors"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/auto"
	"github.com/coredns/coredns/plugin/dynupdate"
	"github.com/coredns/coredns/plugin/file"
	"github.com/coredns/coredns/plugin/hosts"
	"github.com/coredns/coredns/plugin/pkg/nonwriter"
	"github.com/coredns/coredns/plugin/secondary"
	"github.com/coredns/coredns/plugin/template"

	"github.com/miekg/dns"
)

// Authority is implemented by handlers that answer some names from their own
// data and can say which (corebind's rfc2317 does). recursionacl counts such
// names as authoritative data, answered to every client.
type Authority interface {
	// Authoritative reports whether the handler answers qname (lower case,
	// fully qualified) from its own data.
	Authoritative(qname string) bool
}

// A source tells whether a query is answered from authoritative data that
// one plugin of the server block holds. qname is the query name in lower
// case.
type source interface {
	answers(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, qname string) bool
}

// sourceOf returns the source for an authoritative handler, or nil when h
// holds no authoritative data (cache, forward, stub zones...).
func sourceOf(h plugin.Handler) source {
	switch h := h.(type) {
	case file.File:
		return fileSource{h}
	case *secondary.Secondary:
		return secondarySource{h}
	case auto.Auto:
		return autoSource{h}
	case hosts.Hosts:
		return hostsSource{h}
	case template.Handler:
		return templateSource{h}
	case *dynupdate.DynUpdate:
		return dynupdateSource{h}
	case Authority:
		return authoritySource{h}
	}
	return nil
}

// zoneSet is the `authoritative` zones, or the zones recursionacl applies
// to: a suffix match costing one map probe per label of the name.
type zoneSet map[string]struct{}

func newZoneSet(zones []string) zoneSet {
	s := make(zoneSet, len(zones))
	for _, z := range zones {
		s[lower(dns.Fqdn(z))] = struct{}{}
	}
	return s
}

// contains reports whether name is in or under a zone of s.
func (s zoneSet) contains(name string) bool {
	if _, all := s["."]; all {
		return true
	}
	name = lower(name)
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if _, ok := s[name[off:]]; ok {
			return true
		}
	}
	return false
}

func (s zoneSet) answers(_ context.Context, _ dns.ResponseWriter, _ *dns.Msg, qname string) bool {
	return s.contains(qname)
}

// fileSource is a file plugin: its zones, less what it passes on with
// fallthrough.
type fileSource struct{ f file.File }

func (s fileSource) answers(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, qname string) bool {
	if plugin.Zones(s.f.Names).Matches(qname) == "" {
		return false
	}
	return !s.f.Fall.Through(qname) || !fallsThrough(ctx, w, r, func(next plugin.Handler) plugin.Handler {
		f := s.f
		f.Next = next
		return f
	})
}

// secondarySource is a secondary plugin, whose zones change with catalog
// zones: asked through its own zone lookup.
type secondarySource struct{ s *secondary.Secondary }

func (s secondarySource) answers(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, qname string) bool {
	if _, _, ok := s.s.ZoneLookupFunc(qname); !ok {
		return false
	}
	return !s.s.Fall.Through(qname) || !fallsThrough(ctx, w, r, func(next plugin.Handler) plugin.Handler {
		f := s.s.File
		f.Next = next
		return f
	})
}

// autoSource is an auto plugin; the zones it loads come and go with the
// files in its directory.
type autoSource struct{ a auto.Auto }

func (s autoSource) answers(_ context.Context, _ dns.ResponseWriter, _ *dns.Msg, qname string) bool {
	return plugin.Zones(s.a.Origins()).Contains(qname) && plugin.Zones(s.a.Names()).Matches(qname) != ""
}

// hostsSource is a hosts plugin. With fallthrough (common: hosts in front of
// forward for the root zone) only the names it holds are its data.
type hostsSource struct{ h hosts.Hosts }

func (s hostsSource) answers(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, qname string) bool {
	// PTR queries reach hosts whatever its zones, and pass on when it does
	// not hold the address, fallthrough or not.
	if r.Question[0].Qtype != dns.TypePTR {
		if !plugin.Zones(s.h.Origins).Contains(qname) {
			return false
		}
		if !s.h.Fall.Through(qname) {
			return true
		}
	}
	return !fallsThrough(ctx, w, r, func(next plugin.Handler) plugin.Handler {
		h := s.h
		h.Next = next
		return h
	})
}

// templateSource is a template plugin: whether a template matches, or the
// query falls through, only running it tells.
type templateSource struct{ t template.Handler }

func (s templateSource) answers(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, qname string) bool {
	if !plugin.Zones(s.t.Zones).Contains(qname) {
		return false
	}
	return !fallsThrough(ctx, w, r, func(next plugin.Handler) plugin.Handler {
		t := s.t
		t.Next = next
		return t
	})
}

// dynupdateSource is a dynupdate plugin: one zone, all of it its data.
type dynupdateSource struct{ d *dynupdate.DynUpdate }

func (s dynupdateSource) answers(_ context.Context, _ dns.ResponseWriter, _ *dns.Msg, qname string) bool {
	return dns.IsSubDomain(s.d.Zone, qname)
}

type authoritySource struct{ a Authority }

func (s authoritySource) answers(_ context.Context, _ dns.ResponseWriter, _ *dns.Msg, qname string) bool {
	return s.a.Authoritative(qname)
}

// fallsThrough runs r through a copy of a handler whose next plugin is a
// probe and reports whether the probe was reached: whether the handler
// passes r on rather than answering it. The copy writes nowhere and runs
// local-only, so any lookup it makes on the way is refused, unlogged.
func fallsThrough(ctx context.Context, w dns.ResponseWriter, r *dns.Msg, withNext func(plugin.Handler) plugin.Handler) bool {
	if localOf(ctx) == nil {
		ctx = withLocal(ctx, &local{qname: r.Question[0].Name, probe: true})
	}
	p := &probe{}
	withNext(p).ServeDNS(ctx, nonwriter.New(w), r)
	return p.reached
}

// probe ends a dry-run chain.
type probe struct{ reached bool }

func (p *probe) ServeDNS(context.Context, dns.ResponseWriter, *dns.Msg) (int, error) {
	p.reached = true
	return dns.RcodeSuccess, nil
}

func (p *probe) Name() string { return pluginName + "-probe" }

// local marks the context of a query from a client denied recursion that
// goes on for authoritative data, and of every lookup made for it.
type local struct {
	qname string // the client's query name
	probe bool   // a dry run (fallsThrough): its refusals are not logged
}

type localKey struct{}

func localOf(ctx context.Context) *local {
	l, _ := ctx.Value(localKey{}).(*local)
	return l
}

// errLocalOnly is the cause of a local-only context's cancellation.
var errLocalOnly = errors.New("recursionacl: client may not recurse: local data only")

// withLocal returns ctx carrying l, and cancelled: the recursing plugins do
// no network work on a cancelled context (forward checks it before each
// attempt), so a query that falls through past the authoritative plugins
// fetches nothing. A lookup an authoritative plugin makes on the way
// (upstream.Lookup) re-enters recursionacl with this context, which is
// refused unless it too is for authoritative data.
func withLocal(ctx context.Context, l *local) context.Context {
	ctx, cancel := context.WithCancelCause(context.WithValue(ctx, localKey{}, l))
	cancel(errLocalOnly)
	return ctx
}
