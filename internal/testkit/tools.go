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
			t.Fatalf("testkit: %s is not installed; run ./build.sh deps (Debian packages bind9, bind9-dnsutils, knot-dnsutils, dnsperf, fail2ban, nmap, chromium)", tool)
		}
	}
}

// RepoRoot is the root of the corebind checkout.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// builtTool is a binary of this checkout that a test run needs: taken from
// an environment variable when build.sh set it, otherwise built once per
// test process.
type builtTool struct {
	env  string // variable that names a prebuilt binary
	pkg  string // package to build, relative to the repository root
	name string // file name of the built binary

	once sync.Once
	path string
	out  []byte
	err  error
}

var (
	corebindTool       = &builtTool{env: "COREBIND_BINARY", pkg: ".", name: "coredns"}
	named2corefileTool = &builtTool{env: "COREBIND_NAMED2COREFILE", pkg: "./cmd/named2corefile", name: "named2corefile"}
)

// get returns the binary's absolute path or fails the test.
func (b *builtTool) get(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(b.env); p != "" {
		abs, err := filepath.Abs(p)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			t.Fatalf("testkit: %s: %v", b.env, err)
		}
		return abs
	}
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "corebind-"+b.name+"-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, b.name)
		cmd := exec.Command("go", "build", "-trimpath", "-o", b.path, b.pkg)
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("testkit: building %s: %v\n%s", b.name, b.err, b.out)
	}
	return b.path
}

// Binary returns the corebind binary under test: $COREBIND_BINARY when set
// (build.sh test sets it to the binary it just built), otherwise one built
// once per test process from this checkout.
func Binary(t testing.TB) string {
	t.Helper()
	return corebindTool.get(t)
}

// Named2Corefile returns the named2corefile binary: COREBIND_NAMED2COREFILE
// when set (./build.sh test builds it once), otherwise one built for this
// test run.
func Named2Corefile(t testing.TB) string {
	t.Helper()
	return named2corefileTool.get(t)
}
