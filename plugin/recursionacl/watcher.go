package recursionacl

import (
	"os"
	"slices"
	"sync"
	"time"
)

// watcher re-reads changed allow-files (inode, size, mtime: renames are seen)
// every reload interval; a file that does not compile keeps the old list.
type watcher struct {
	cfg   *config
	h     *RecursionACL
	paths []string
	seen  []os.FileInfo // last stat of each path; nil when it failed

	done     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

func newWatcher(cfg *config, h *RecursionACL) *watcher {
	w := &watcher{cfg: cfg, h: h, done: make(chan struct{})}
	for _, l := range cfg.allow {
		if l.path != "" {
			w.paths = append(w.paths, l.path)
		}
	}
	w.seen = w.stat()
	return w
}

func (w *watcher) start() {
	if len(w.paths) == 0 || w.cfg.reload == 0 {
		return
	}
	w.wg.Go(w.loop)
}

func (w *watcher) stop() {
	w.stopOnce.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *watcher) loop() {
	t := time.NewTicker(w.cfg.reload)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
			if now := w.stat(); !slices.EqualFunc(now, w.seen, sameFile) {
				w.seen = now
				w.reload()
			}
		}
	}
}

func (w *watcher) stat() []os.FileInfo {
	out := make([]os.FileInfo, len(w.paths))
	for i, p := range w.paths {
		out[i], _ = os.Stat(p)
	}
	return out
}

// sameFile reports whether two stats (nil: failed) show the same file, unchanged.
func sameFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func (w *watcher) reload() {
	list, err := w.cfg.compile()
	if err != nil {
		log.Errorf("allow-file changed, keeping the previous list: %v", err)
		return
	}
	w.h.allow.Store(list)
	w.h.setEntries(list.Len())
	log.Infof("allow-file changed: %d elements loaded", list.Len())
}
