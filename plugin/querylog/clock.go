package querylog

import (
	"sync/atomic"
	"time"
)

// clock reads the time on the query path with one clock read instead of
// time.Now's two (wall and monotonic; on some virtual machines a read costs
// 100 ns): it reads the monotonic clock only and adds the wall clock's
// offset, which the writers refresh every second, so a step of the wall
// clock shows within a second.
type clock struct {
	base   time.Time    // with a monotonic reading
	offset atomic.Int64 // wall clock Unix ns minus monotonic ns since base
}

func newClock() *clock {
	c := &clock{base: time.Now()}
	c.refresh()
	return c
}

// mono returns monotonic nanoseconds since base: one clock read.
func (c *clock) mono() int64 { return int64(time.Since(c.base)) }

// wall converts a mono reading to Unix nanoseconds.
func (c *clock) wall(mono int64) int64 { return mono + c.offset.Load() }

// refresh measures the wall clock's offset again.
func (c *clock) refresh() {
	wall := time.Now()
	c.offset.Store(wall.UnixNano() - int64(wall.Sub(c.base)))
}
