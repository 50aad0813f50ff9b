package querylog

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	c := newClock()
	time.Sleep(20 * time.Millisecond)
	m := c.mono()
	if m < int64(20*time.Millisecond) {
		t.Errorf("mono %d after 20ms", m)
	}
	if d := time.Duration(c.wall(m) - time.Now().UnixNano()); d > 50*time.Millisecond || d < -50*time.Millisecond {
		t.Errorf("wall is %s off", d)
	}
	// A step of the wall clock shows after a refresh.
	c.offset.Add(int64(time.Hour))
	c.refresh()
	if d := time.Duration(c.wall(c.mono()) - time.Now().UnixNano()); d > 50*time.Millisecond || d < -50*time.Millisecond {
		t.Errorf("after refresh, wall is %s off", d)
	}
}

// BenchmarkClock compares what the query path does per query (a start and an
// end reading, and the arrival's wall time) with the clock and with
// time.Now.
func BenchmarkClock(b *testing.B) {
	c := newClock()
	var sink int64
	b.Run("clock", func(b *testing.B) {
		for b.Loop() {
			start := c.mono()
			sink += c.wall(start)
			sink += c.mono() - start
		}
	})
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			start := time.Now()
			sink += start.UnixNano()
			sink += int64(time.Since(start))
		}
	})
	_ = sink
}
