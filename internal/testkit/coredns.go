package testkit

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// CoreDNS is a running corebind binary.
type CoreDNS struct {
	*Proc
	Dir      string // working directory; holds the Corefile
	Corefile string // path of the Corefile
}

// CoreDNSOptions tune StartCoreDNS.
type CoreDNSOptions struct {
	Netns *Netns            // run inside this namespace
	Files map[string]string // more files written into Dir before the start (zone files, ...)
	Args  []string          // extra command-line arguments
	Wait  string            // address probed until it answers DNS; "" = do not probe
}

// StartCoreDNS writes corefile into a fresh directory (also the working
// directory, so relative paths in the Corefile resolve there), starts the
// corebind binary on it and waits until opts.Wait answers a DNS query.
func StartCoreDNS(t testing.TB, corefile string, opts CoreDNSOptions) *CoreDNS {
	t.Helper()
	dir := t.TempDir()
	return StartCoreDNSIn(t, dir, corefile, opts)
}

// StartCoreDNSIn is StartCoreDNS in a given directory, e.g. to restart a
// server on the files a previous run left behind.
func StartCoreDNSIn(t testing.TB, dir, corefile string, opts CoreDNSOptions) *CoreDNS {
	t.Helper()
	bin := Binary(t)
	path := filepath.Join(dir, "Corefile")
	WriteFile(t, path, corefile)
	for name, content := range opts.Files {
		WriteFile(t, filepath.Join(dir, name), content)
	}
	cmd := opts.Netns.Command(bin, append([]string{"-conf", path}, opts.Args...)...)
	cmd.Dir = dir
	c := &CoreDNS{Proc: start(t, "coredns", cmd), Dir: dir, Corefile: path}
	if opts.Wait != "" {
		WaitDNS(t, opts.Netns, opts.Wait, c.Proc)
	}
	return c
}

// Reload asks CoreDNS to re-read its Corefile (SIGUSR1), as `kill -USR1` does.
func (c *CoreDNS) Reload() { c.Signal(syscall.SIGUSR1) }

// WriteFile writes content to path, creating directories; it fails the test
// on error.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("testkit: %v", err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("testkit: %v", err)
	}
}

// WaitDNS waits up to 20s until addr answers a DNS query over UDP with any
// response. If p exits first, the test fails with its output.
func WaitDNS(t testing.TB, ns *Netns, addr string, p *Proc) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if p != nil && p.Exited() {
			t.Fatalf("testkit: %s exited before answering on %s:\n%s", p.name, addr, p.Output())
		}
		if probe(ns, addr) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := ""
	if p != nil {
		out = p.Output()
	}
	t.Fatalf("testkit: nothing answered DNS on %s within 20s\n%s", addr, out)
}
