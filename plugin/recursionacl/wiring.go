package recursionacl

import (
	"errors"
	"slices"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
)

// recursionacl places its handlers right after these directives of plugin.cfg
// through AddPlugin and caddy's parsing callbacks; it knows no other plugin's type.
const (
	// After cache: where a denied client's query goes (the cache is for allowed clients).
	afterCache = "cache"
	// The local barrier: cache..secondary in plugin.cfg hold local data and answer
	// every client; a denied query they pass on ends here, answers from behind get AA=0.
	afterLocal = "secondary"
	// The cache-only barrier: an allowed RD=0 query gets cache, local data and
	// stub referrals, nothing fetched.
	afterStub = "stubzones"
)

func init() {
	for _, dir := range []string{afterCache, afterLocal, afterStub} {
		caddy.RegisterParsingCallback("dns", dir, placeAfter(dir))
	}
}

// pending holds a load's recursionacl handlers for the parsing callbacks, in
// the caddy.Instance's Storage so it goes with the instance, failed loads included.
type pending struct {
	ctx caddy.Context
	hs  []*RecursionACL
}

// pendingKey is pending's key in the instance's Storage.
type pendingKey struct{}

func addPending(c *caddy.Controller, h *RecursionACL) {
	p, _ := c.Get(pendingKey{}).(*pending)
	if p == nil {
		p = &pending{ctx: c.Context()}
		c.Set(pendingKey{}, p)
	}
	p.hs = append(p.hs, h)
}

// pendingOf returns the handlers of the load whose context is ctx.
func pendingOf(ctx caddy.Context) []*RecursionACL {
	for _, inst := range caddy.Instances() {
		inst.StorageMu.RLock()
		p, _ := inst.Storage[pendingKey{}].(*pending)
		inst.StorageMu.RUnlock()
		if p != nil && p.ctx == ctx {
			return p.hs
		}
	}
	return nil
}

// placeAfter returns the parsing callback that runs after directive dir.
func placeAfter(dir string) caddy.ParsingCallback {
	return func(ctx caddy.Context) error {
		for _, h := range pendingOf(ctx) {
			h.place(dir)
		}
		return nil
	}
}

// place adds recursionacl's handler for position dir to its block's chain.
func (h *RecursionACL) place(dir string) {
	switch dir {
	case afterCache:
		// Not a handler of its own: it notes the handler after cache.
		h.cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
			h.local = next
			return next
		})
	case afterLocal:
		h.barriers++
		h.cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
			return &barrier{Next: next, h: h, name: pluginName + "-local", local: true, cacheful: !h.stubBarrier()}
		})
	case afterStub:
		if !h.stubBarrier() {
			return
		}
		h.barriers++
		h.cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
			return &barrier{Next: next, h: h, name: pluginName + "-cacheonly", cacheful: true}
		})
	}
}

// stubBarrier reports whether plugin.cfg has stubzones after the local
// barrier: otherwise the local barrier stops RD=0 queries too.
func (h *RecursionACL) stubBarrier() bool {
	return slices.Index(dnsserver.Directives, afterStub) > slices.Index(dnsserver.Directives, afterLocal)
}

// errWiring is the startup error of a plugin.cfg that breaks the contract.
var errWiring = errors.New("plugin.cfg must list recursionacl before cache, and cache before secondary: " +
	"the plugins between cache and secondary are those a client denied recursion reaches")

// checkWiring runs at startup, once the chain is built.
func (h *RecursionACL) checkWiring() error {
	d := dnsserver.Directives
	self := slices.Index(d, pluginName)
	if c := slices.Index(d, afterCache); c >= 0 && c < self {
		return errWiring
	}
	if l := slices.Index(d, afterLocal); l < self || h.barriers == 0 {
		return errWiring
	}
	if h.local == nil {
		h.local = h.Next // a build without cache
	}
	return nil
}
