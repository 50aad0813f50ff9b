package recursionacl

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// limiterSlots is how many clients the denial log limiter remembers: a
// fixed table of about 160 KiB, however many clients a flood spoofs.
const limiterSlots = 4096

// limiter rate-limits denial log lines with a token bucket per client (in a
// fixed hash-indexed table) and a global one, so spoofed floods cannot flood the log.
type limiter struct {
	rate, burst float64

	mu     sync.Mutex
	seed   maphash.Seed
	slots  []bucket
	global bucket
}

// globalFactor scales the per-client limit to the limit of all lines.
const globalFactor = 100

type bucket struct {
	addr   netip.Addr
	tokens float64
	last   int64 // UnixNano of the last refill
}

func newLimiter(rate, burst float64) *limiter {
	return &limiter{
		rate: rate, burst: burst,
		seed:   maphash.MakeSeed(),
		slots:  make([]bucket, limiterSlots),
		global: bucket{tokens: burst * globalFactor},
	}
}

// allow reports whether a line for client may be written at now.
func (l *limiter) allow(client netip.Addr, now time.Time) bool {
	t := now.UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &l.slots[maphash.Comparable(l.seed, client)%limiterSlots]
	if b.addr != client {
		*b = bucket{addr: client, tokens: l.burst, last: t}
	}
	if !b.take(t, l.rate, l.burst) {
		return false
	}
	if !l.global.take(t, l.rate*globalFactor, l.burst*globalFactor) {
		b.tokens++ // not this client's fault
		return false
	}
	return true
}

// take refills b for the time since its last refill and takes one token.
func (b *bucket) take(t int64, rate, burst float64) bool {
	if b.last != 0 && t > b.last {
		b.tokens = min(burst, b.tokens+float64(t-b.last)*rate/1e9)
	}
	b.last = t
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
