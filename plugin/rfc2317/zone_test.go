package rfc2317

import (
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"

	"github.com/coredns/coredns/plugin/file"
	"github.com/coredns/coredns/plugin/transfer"
)

// TestWatcherPolls: the polling goroutine picks up a zone change by itself
// and ends on stop, as a reload's OnShutdown asks.
func TestWatcherPolls(t *testing.T) {
	f := testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone})
	cfg, err := parse(testController(parentBlock))
	if err != nil {
		t.Fatal(err)
	}
	co := newCore(cfg)
	co.watch.every = 10 * time.Millisecond
	co.watch.start([]transfer.Transferer{f})
	b := co.blocks[0]
	if got := b.r.Load().ttl; got != 600 {
		t.Fatalf("TTL %d at start, want 600", got)
	}

	// file swaps a zone under its lock on reload; here the map entry is
	// replaced while the watcher reads the old one, which is safe.
	co.watch.mu.Lock()
	testkit.SetZone(t, &f, "2.0.192.in-addr.arpa.", strings.NewReplacer("2026010101", "2026010102", "1209600 600", "1209600 60").Replace(parentZone))
	co.watch.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for b.r.Load().ttl != 60 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := b.r.Load().ttl; got != 60 {
		t.Errorf("TTL %d after the zone changed, want 60", got)
	}

	co.watch.stop()
	select {
	case <-co.watch.done:
	default:
		t.Error("the polling goroutine still runs after stop")
	}
	co.watch.stop() // twice is harmless
}

// TestWatcherNeverStarted: a shutdown without a startup (a reload whose new
// Corefile failed later on) does not wait for a goroutine that never ran.
func TestWatcherNeverStarted(t *testing.T) {
	cfg, err := parse(testController(parentBlock))
	if err != nil {
		t.Fatal(err)
	}
	co := newCore(cfg)
	done := make(chan struct{})
	go func() { co.watch.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop blocked")
	}
}

// TestWatcherUnreadableZone: a zone that exists but cannot be read yet (a
// secondary before its first transfer) is reported, the fallback TTL is used
// until it loads, and then the zone's.
func TestWatcherUnreadableZone(t *testing.T) {
	f := testkit.FileZones(t, nil)
	f.Z["2.0.192.in-addr.arpa."] = file.NewZone("2.0.192.in-addr.arpa.", "db")
	f.Names = append(f.Names, "2.0.192.in-addr.arpa.")
	h := newHandler(t, parentBlock, nil, f)
	if got := h.blocks[0].r.Load().ttl; got != defaultTTL {
		t.Errorf("TTL %d without a readable zone, want %d", got, defaultTTL)
	}
	if p := h.watch.Problems(); len(p) != 1 || p[0] != "zone 2.0.192.in-addr.arpa.: no SOA" {
		t.Errorf("problems %q", p)
	}
	testkit.SetZone(t, &f, "2.0.192.in-addr.arpa.", parentZone)
	h.watch.round()
	if got := h.blocks[0].r.Load().ttl; got != 600 {
		t.Errorf("TTL %d once the zone loaded, want 600", got)
	}
	if p := h.watch.Problems(); len(p) != 2 { // the PTRs at .3 and .7
		t.Errorf("problems %q", p)
	}
}
