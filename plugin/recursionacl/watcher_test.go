package recursionacl

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coredns/caddy"
)

// replaceFile writes content next to path and renames it into place, as
// editors and rsync do.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func watched(t *testing.T, file string, reload time.Duration) (*RecursionACL, *watcher) {
	t.Helper()
	cfg, err := parse(caddy.NewTestController("dns", "recursionacl {\n allow 127.0.0.1\n allow-file "+file+"\n}"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.reload = reload
	h := &RecursionACL{}
	w := newWatcher(cfg, h)
	list, err := cfg.compile()
	if err != nil {
		t.Fatal(err)
	}
	h.allow.Store(list)
	return h, w
}

func allows(h *RecursionACL, addr string) bool {
	return h.allow.Load().Match(netip.MustParseAddr(addr), "")
}

// TestWatcherReloads: a changed allow-file is swapped in while the old list
// serves; a broken one keeps the old list until it is fixed.
func TestWatcherReloads(t *testing.T) {
	file := filepath.Join(t.TempDir(), "allow.acl")
	writeFile(t, file, "10.0.0.0/8\n")
	h, w := watched(t, file, 10*time.Millisecond)
	w.start()
	defer w.stop()

	if !allows(h, "10.1.1.1") || allows(h, "192.0.2.1") {
		t.Fatal("initial list wrong")
	}
	replaceFile(t, file, "192.0.2.0/24\n")
	waitFor(t, "the new allow-file", func() bool { return allows(h, "192.0.2.1") && !allows(h, "10.1.1.1") })

	// A broken file: logged, the previous list stays.
	replaceFile(t, file, "192.0.2.0/24\n10.0.0/8\n")
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		if !allows(h, "192.0.2.1") || !allows(h, "127.0.0.1") {
			t.Fatal("a broken allow-file replaced the list")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Removed: the previous list stays too.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if !allows(h, "192.0.2.1") {
		t.Fatal("a removed allow-file replaced the list")
	}
	// Fixed: picked up.
	writeFile(t, file, "198.51.100.0/24\n")
	waitFor(t, "the fixed allow-file", func() bool { return allows(h, "198.51.100.1") && !allows(h, "192.0.2.1") })
}

// TestWatcherSameSizeRewrite: a rewrite in place of the same size is seen
// by its modification time.
func TestWatcherSameSizeRewrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "allow.acl")
	writeFile(t, file, "10.0.0.0/8\n")
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(file, past, past); err != nil { // make sure the next write's mtime differs
		t.Fatal(err)
	}
	h, w := watched(t, file, 10*time.Millisecond)
	w.start()
	defer w.stop()
	writeFile(t, file, "11.0.0.0/8\n")
	waitFor(t, "the rewritten allow-file", func() bool { return allows(h, "11.1.1.1") })
}

func TestWatcherOff(t *testing.T) {
	file := filepath.Join(t.TempDir(), "allow.acl")
	writeFile(t, file, "10.0.0.0/8\n")
	_, w := watched(t, file, 0)
	w.start()
	w.stop()
	w.stop() // idempotent: shutdown callbacks may run twice
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s was not loaded within 10s", what)
		}
	}
}
