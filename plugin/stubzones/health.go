package stubzones

import (
	"net/netip"
	"sync"
	"time"
)

// Servers that failed within healthMemory are tried last, so a dead one costs
// a timeout per healthMemory; past healthMax entries the memory restarts.
const (
	healthMemory = 30 * time.Second
	healthMax    = 4096
)

type health struct {
	mu   sync.Mutex
	down map[netip.AddrPort]time.Time
}

func newHealth() *health { return &health{down: map[netip.AddrPort]time.Time{}} }

func (h *health) failed(a netip.AddrPort, now time.Time) {
	h.mu.Lock()
	if len(h.down) >= healthMax {
		clear(h.down)
	}
	h.down[a] = now
	h.mu.Unlock()
}

func (h *health) ok(a netip.AddrPort) {
	h.mu.Lock()
	delete(h.down, a)
	h.mu.Unlock()
}

func (h *health) isDown(a netip.AddrPort, now time.Time) bool {
	h.mu.Lock()
	t, ok := h.down[a]
	h.mu.Unlock()
	return ok && now.Sub(t) < healthMemory
}
