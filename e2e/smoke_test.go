package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
)

// TestVersionAndPlugins checks the binary's -version and -plugins output.
func TestVersionAndPlugins(t *testing.T) {
	bin := testkit.Binary(t)
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("-version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "CoreDNS-1.15.0") || !strings.Contains(string(out), "corebind-") {
		t.Errorf("-version does not show both versions:\n%s", out)
	}
	out, err = exec.Command(bin, "-plugins").CombinedOutput()
	if err != nil {
		t.Fatalf("-plugins: %v\n%s", err, out)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, p := range []string{"querylog", "recursionacl", "rfc2317", "stubzones", "chaosmask", "rrl", "forward", "file", "cache", "acl", "log"} {
		if !lines["dns."+p] {
			t.Errorf("-plugins does not list dns.%s:\n%s", p, out)
		}
	}
}
