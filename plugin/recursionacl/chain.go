package recursionacl

import (
	"errors"
	"reflect"
	"slices"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/cache"
)

// wire runs at startup, once the server has built the block's chain: it
// finds the handler after cache, where denied clients' queries for
// authoritative data go, and (unless auth is given) the plugins holding
// authoritative data.
func (h *RecursionACL) wire(cfg *dnsserver.Config, auth zoneSet) error {
	h.local = h.Next
	if c, ok := h.Next.(*cache.Cache); ok {
		h.local = c.Next
	} else if cfg.Handler("cache") != nil {
		return errors.New("cache must come right after recursionacl in plugin.cfg, or clients denied recursion could get cached answers")
	}

	if auth != nil {
		h.auth = []source{auth}
		return nil
	}
	h.auth = nil
	for _, n := range downstream(h.Next, cfg) {
		if s := sourceOf(n); s != nil {
			h.auth = append(h.auth, s)
		}
	}
	return nil
}

// downstream lists the handlers after recursionacl in the block's chain, in
// order. The registry knows one handler per plugin name, so a block with two
// file directives needs the walk along the Next fields; what the walk cannot
// reach (a plugin without a Next field) the registry adds.
func downstream(first plugin.Handler, cfg *dnsserver.Config) []plugin.Handler {
	var hs []plugin.Handler
	seen := map[string]bool{}
	for n := first; n != nil && len(hs) < 1000; n = nextOf(n) {
		hs = append(hs, n)
		seen[n.Name()] = true
	}
	if i := slices.Index(dnsserver.Directives, pluginName); i >= 0 {
		for _, name := range dnsserver.Directives[i+1:] {
			if n := cfg.Handler(name); n != nil && !seen[n.Name()] {
				hs = append(hs, n)
			}
		}
	}
	return hs
}

// nextOf returns the handler after h: CoreDNS plugins keep it in an exported
// Next field (possibly promoted from an embedded struct, as secondary's).
func nextOf(h plugin.Handler) plugin.Handler {
	v := reflect.ValueOf(h)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName("Next")
	if !f.IsValid() || !f.CanInterface() {
		return nil
	}
	next, _ := f.Interface().(plugin.Handler)
	return next
}
