package testkit

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
)

// SetupInert runs a plugin's setup function on corefile (a server block's
// body) in an empty working directory, and fails t if setup created a file
// there, left a goroutine running, or holds one of the listen addresses:
// setup only parses; files, sockets and goroutines belong in OnStartup. The
// OnStartup callbacks are not run. corefile's relative paths land in that
// directory, so name outputs relative to it.
func SetupInert(t *testing.T, setup func(*caddy.Controller) error, corefile string, listen ...string) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	before := runtime.NumGoroutine()
	c := caddy.NewTestController("dns", corefile)
	if err := setup(c); err != nil {
		t.Fatalf("setup: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("setup created %s; create files in OnStartup", e.Name())
	}
	// A goroutine that setup started may not have been scheduled yet.
	if !Eventually(200*time.Millisecond, func() bool { return runtime.NumGoroutine() <= before }) {
		t.Errorf("setup left %d goroutines running; start them in OnStartup", runtime.NumGoroutine()-before)
	}
	for _, addr := range listen {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("setup holds %s: %v; bind in OnStartup", addr, err)
			continue
		}
		ln.Close()
	}
}

// CheckParseErrorAt fails t unless err is a Corefile error framed as
// CoreDNS frames it (plugin.Error around the controller's Errf): it names
// the plugin when plugin is not "", the test Corefile's line and holds want,
// the problem and what to write instead.
func CheckParseErrorAt(t testing.TB, err error, plugin string, line int, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want line %d: %q", line, want)
		return
	}
	at := fmt.Sprintf("Testfile:%d - Error during parsing: ", line)
	if plugin != "" {
		at = "plugin/" + plugin + ": " + at
	}
	if msg := err.Error(); !strings.Contains(msg, at) || !strings.Contains(msg, want) {
		t.Errorf("error\n %s\nwant it to hold\n %s…%s", msg, at, want)
	}
}
