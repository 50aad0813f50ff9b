package stubzones

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when a test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	created int
}

type fakeTimer struct {
	clock *fakeClock
	at    time.Time
	c     chan time.Time
	done  bool // fired or stopped
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.created++
	t := &fakeTimer{clock: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.done = true
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// Advance moves the clock by d and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	live := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.at.After(c.now):
			t.done = true
			t.c <- c.now
		default:
			live = append(live, t)
		}
	}
	c.timers = live
}

// pending returns the durations until each armed timer fires.
func (c *fakeClock) pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var p []time.Duration
	for _, t := range c.timers {
		if !t.done {
			p = append(p, t.at.Sub(c.now))
		}
	}
	return p
}

// timersMade is the number of timers made so far.
func (c *fakeClock) timersMade() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.created
}

// waitTimer waits until a timer made after the first `since` is the only
// one armed (the refresh loop is idle again) and returns how long until it
// fires and the count to pass to the next call.
func (c *fakeClock) waitTimer(t *testing.T, since int) (time.Duration, int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		made := c.created
		var p []time.Duration
		for _, tm := range c.timers {
			if !tm.done {
				p = append(p, tm.at.Sub(c.now))
			}
		}
		c.mu.Unlock()
		if made > since && len(p) == 1 {
			return p[0], made
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("refresh loop never went idle; timers: %v", c.pending())
	return 0, 0
}
