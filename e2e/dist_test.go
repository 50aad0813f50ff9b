package e2e

// Small helpers of the distribution tests (image, Kubernetes, import), named
// dist* so they never clash with another test file's.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
)

// distVersion is corebind's version, from the VERSION file.
func distVersion(t testing.TB) string {
	t.Helper()
	return strings.TrimSpace(string(distRead(t, filepath.Join(testkit.RepoRoot(), "VERSION"))))
}

func distJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %.200s: %v", b, err)
	}
}

func distRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func distCopy(t testing.TB, from, to string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, distRead(t, from), mode); err != nil {
		t.Fatal(err)
	}
}

func distDigest(t testing.TB, path string) string {
	t.Helper()
	sum := sha256.Sum256(distRead(t, path))
	return hex.EncodeToString(sum[:])
}

func distGet(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(b)
}

func distGrep(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
