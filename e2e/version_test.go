package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
)

// TestVersioning checks the version's three homes agree: VERSION is a
// semantic version, the binary reports it beside CoreDNS's, and CHANGELOG.md
// (keep-a-changelog) has an Unreleased section or one for it, every section
// with its link.
func TestVersioning(t *testing.T) {
	version := distVersion(t)
	semver := regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	if !semver.MatchString(version) {
		t.Errorf("VERSION %q is not a semantic version", version)
	}

	out, err := exec.Command(testkit.Binary(t), "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("-version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "CoreDNS-1.15.0") || !regexp.MustCompile(`\bcorebind-`+regexp.QuoteMeta(version)+`\b`).Match(out) {
		t.Errorf("-version does not show CoreDNS-1.15.0 and corebind-%s:\n%s", version, out)
	}

	changelog := string(distRead(t, filepath.Join(testkit.RepoRoot(), "CHANGELOG.md")))
	if !strings.HasPrefix(changelog, "# Changelog\n") || !strings.Contains(changelog, "keepachangelog.com") {
		t.Errorf("CHANGELOG.md does not start as a keep-a-changelog file")
	}
	sections := regexp.MustCompile(`(?m)^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$`).FindAllStringSubmatch(changelog, -1)
	found := false
	for _, s := range sections {
		if s[1] == "Unreleased" || s[1] == version {
			found = true
		}
		if s[1] != "Unreleased" && (!semver.MatchString(s[1]) || s[2] == "") {
			t.Errorf("CHANGELOG.md section %q: want ## [X.Y.Z] - YYYY-MM-DD", s[0])
		}
		if !strings.Contains(changelog, "\n["+s[1]+"]: ") {
			t.Errorf("CHANGELOG.md section [%s] has no link reference", s[1])
		}
	}
	if !found {
		t.Errorf("CHANGELOG.md has neither an Unreleased section nor one for %s", version)
	}
}
