package stackstart

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// settles waits up to 10 s for goroutines to start with want bytes: Keep's
// goroutines park, and the others end, only as the scheduler gets to them,
// which takes a while on a busy machine or under -race.
func settles(t *testing.T, want uint64) uint64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := startingSize(t)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startingSize(t *testing.T) uint64 {
	t.Helper()
	runtime.GC() // the runtime recomputes the size at the end of a cycle
	s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		t.Fatalf("runtime/metrics has no %s", s[0].Name)
	}
	return s[0].Value.Uint64()
}

// TestKeep: with 400 goroutines parked on small stacks, as queries waiting
// to run are, new goroutines start with 2 KiB; with Keep, 16 KiB, also after
// 400 more arrive; never 32 KiB, even when nearly all goroutines are its
// own; and once the others are gone, Keep lets its extra ones go.
func TestKeep(t *testing.T) {
	hold, more := make(chan struct{}), make(chan struct{})
	defer func() { close(hold) }()
	waiting := func(n int, hold chan struct{}) {
		for range n {
			go func() { <-hold }()
		}
	}
	waiting(400, hold)
	if got := startingSize(t); got >= 16<<10 {
		t.Fatalf("without Keep: goroutines start with %d bytes, want less than 16 KiB", got)
	}

	stop := Keep(10 * time.Millisecond)
	defer stop()
	time.Sleep(20 * time.Millisecond) // the parked goroutines run and park
	if got := settles(t, 16<<10); got != 16<<10 {
		t.Fatalf("with Keep: goroutines start with %d bytes, want 16 KiB", got)
	}
	// Nearly all parked: the average is about a parked one's stack, which
	// must still round to 16 KiB, not 32.
	close(hold)
	hold = make(chan struct{})
	time.Sleep(50 * time.Millisecond)
	waiting(1000, hold) // that Keep parks 1000 more
	time.Sleep(50 * time.Millisecond)
	close(hold)
	hold = make(chan struct{})
	time.Sleep(50 * time.Millisecond) // the 1000 end; Keep remembers them
	for range 10 {
		if got := startingSize(t); got > 16<<10 {
			t.Fatalf("with Keep and few others: goroutines start with %d bytes, want 16 KiB", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waiting(400, hold)
	before := steady()
	waiting(400, more)
	if n := until(func(n int) bool { return n >= before+2*400 }); n < before+2*400 {
		t.Fatalf("%d goroutines with 400 more waiting, want at least %d: Keep parked no more", n, before+2*400)
	}
	if got := settles(t, 16<<10); got != 16<<10 {
		t.Fatalf("with Keep, 400 more waiting: goroutines start with %d bytes, want 16 KiB", got)
	}
	close(more)
	if n := until(func(n int) bool { return n <= before }); n > before {
		t.Errorf("%d goroutines after the 400 more are gone, want %d as before", n, before)
	}
}

// steady returns the number of goroutines once it stays the same for
// longer than Keep remembers (50 looks of 10 ms).
func steady() int {
	n := runtime.NumGoroutine()
	for range 15 {
		time.Sleep(700 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			break
		}
		n = m
	}
	return n
}

// until returns the number of goroutines once ok accepts it, or after 10 s.
func until(ok func(int) bool) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if ok(n) || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}
