package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
)

// TestBinaryReproducibleWithProfile: the binary under test (built by
// ./build.sh, which the image is made from) was built with the committed
// profile, and building the same commit again with the same toolchain and
// profile gives the same bytes — so the image stays reproducible (TestImage
// proves the rest: same binary, same image).
func TestBinaryReproducibleWithProfile(t *testing.T) {
	bin := testkit.Binary(t)
	root := testkit.RepoRoot()
	if _, err := os.Stat(filepath.Join(root, "default.pgo")); err != nil {
		t.Fatalf("default.pgo, the profile ./coredns is built with, is missing: %v", err)
	}
	info, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m %s: %v\n%s", bin, err, info)
	}
	if !regexp.MustCompile(`(?m)^\s+build\s+-pgo=default\.pgo$`).Match(info) {
		t.Fatalf("%s was not built with default.pgo; its build settings:\n%s", bin, info)
	}

	// build.sh stamps the commit: read it back to build the same way.
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -version: %v\n%s", bin, err, out)
	}
	m := regexp.MustCompile(`corebind-\S+ \(([^)]+)\)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no commit in %s -version: %s", bin, out)
	}
	again := filepath.Join(t.TempDir(), "coredns")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.commit="+string(m[1]), "-o", again, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	a, b := distRead(t, bin), distRead(t, again)
	if !bytes.Equal(a, b) {
		t.Errorf("the same commit (%s), toolchain and profile built twice: %s (%d bytes, sha256:%s) and %s (%d bytes, sha256:%s) differ",
			strings.TrimSpace(string(m[1])), bin, len(a), distDigest(t, bin), again, len(b), distDigest(t, again))
	}
}
