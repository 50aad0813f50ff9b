package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Require fails the test when a tool is missing. Tests never skip for a
// missing tool: a skipped test is a test that cannot fail.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("testkit: %s is not installed; run ./build.sh deps (Debian packages bind9, bind9-dnsutils, knot-dnsutils, dnsperf, fail2ban, nmap)", tool)
		}
	}
}

// RepoRoot is the root of the corebind checkout.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildOut  []byte
)

// Binary returns the corebind binary under test: $COREBIND_BINARY when set
// (build.sh test sets it to the binary it just built), otherwise one built
// once per test process from this checkout.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("COREBIND_BINARY"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("testkit: COREBIND_BINARY: %v", err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("testkit: COREBIND_BINARY: %v", err)
		}
		return abs
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "corebind-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "coredns")
		cmd := exec.Command("go", "build", "-trimpath", "-o", buildPath, ".")
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("testkit: building corebind: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}

var (
	n2cOnce sync.Once
	n2cPath string
	n2cOut  []byte
	n2cErr  error
)

// Named2Corefile returns the named2corefile binary: COREBIND_NAMED2COREFILE
// when set (./build.sh test builds it once), otherwise one built for this
// test run.
func Named2Corefile(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("COREBIND_NAMED2COREFILE"); p != "" {
		abs, err := filepath.Abs(p)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			t.Fatalf("testkit: COREBIND_NAMED2COREFILE: %v", err)
		}
		return abs
	}
	n2cOnce.Do(func() {
		dir, err := os.MkdirTemp("", "corebind-n2c-")
		if err != nil {
			n2cErr = err
			return
		}
		n2cPath = filepath.Join(dir, "named2corefile")
		cmd := exec.Command("go", "build", "-trimpath", "-o", n2cPath, "./cmd/named2corefile")
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		n2cOut, n2cErr = cmd.CombinedOutput()
	})
	if n2cErr != nil {
		t.Fatalf("testkit: building named2corefile: %v\n%s", n2cErr, n2cOut)
	}
	return n2cPath
}
