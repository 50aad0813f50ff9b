package stackstart

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

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
	if got := startingSize(t); got != 16<<10 {
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
	if got := startingSize(t); got != 16<<10 {
		t.Fatalf("with Keep and few others: goroutines start with %d bytes, want 16 KiB", got)
	}
	waiting(400, hold)
	time.Sleep(time.Second) // past the 50 looks Keep remembers
	before := runtime.NumGoroutine()
	waiting(400, more)
	time.Sleep(50 * time.Millisecond) // a few intervals: Keep parks more
	if got := startingSize(t); got != 16<<10 {
		t.Fatalf("with Keep, 400 more waiting: goroutines start with %d bytes, want 16 KiB", got)
	}
	if n := runtime.NumGoroutine(); n < before+2*400 {
		t.Fatalf("%d goroutines with 400 more waiting, want at least %d: Keep parked no more", n, before+2*400)
	}
	close(more)
	time.Sleep(time.Second) // past the 50 looks Keep remembers
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the 400 more are gone, want %d as before", n, before)
	}
}
