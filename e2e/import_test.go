//go:build importtest

// The single-plugin import builds a whole CoreDNS of its own; ./build.sh
// test-import (part of ./build.sh test) runs it, the plain e2e step does not.

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

const (
	importModule = "github.com/corebind/corebind"
	importPlugin = importModule + "/plugin/recursionacl"
	// The line README.md tells CoreDNS builders to add, after acl:acl.
	importLine = "recursionacl:" + importPlugin
)

// TestSelectiveImport carries out README.md's instructions for adding one
// corebind plugin to someone else's CoreDNS build, on a copy of CoreDNS
// v1.15.0's own source from the Go module cache: the plugin.cfg line after
// acl:acl, go get, go generate, go build. The published module is replaced
// by this checkout. Then: the binary lists the plugin, links no other
// corebind plugin, changed none of CoreDNS's dependencies, and serves a
// Corefile using it — recursion for the allowed client only, authoritative
// data for everyone.
func TestSelectiveImport(t *testing.T) {
	root := testkit.RepoRoot()
	dir := filepath.Join(t.TempDir(), "coredns")
	env := append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOTOOLCHAIN=local")
	run := func(t *testing.T, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		if name == "go" && args[0] == "get" {
			// The module is replaced by this checkout, but go get still asks
			// the proxy about the unpublished corebind paths (it answers 404
			// or 403): resolve from the replacement and the module cache only.
			cmd.Env = append(env, "GOPROXY=off")
		}
		t.Logf("$ %s %s", name, strings.Join(args, " "))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// A CoreDNS v1.15.0 source tree, as `git clone -b v1.15.0` would give.
	dl := exec.Command("go", "mod", "download", "-json", "github.com/coredns/coredns@v1.15.0")
	dl.Dir = root
	out, err := dl.Output()
	if err != nil {
		t.Fatalf("go mod download github.com/coredns/coredns@v1.15.0: %v\n%s", err, out)
	}
	var mod struct{ Dir string }
	distJSON(t, out, &mod)
	if err := os.CopyFS(dir, os.DirFS(mod.Dir)); err != nil { // files come out writable
		t.Fatal(err)
	}
	before := run(t, "go", "list", "-m", "all")

	// 1. plugin.cfg: the line after acl:acl, with README.md's command.
	run(t, "sed", "-i", "/^acl:acl$/a "+importLine, "plugin.cfg")
	lines := strings.Split(string(distRead(t, filepath.Join(dir, "plugin.cfg"))), "\n")
	i := slices.Index(lines, importLine)
	if i < 1 || lines[i-1] != "acl:acl" || lines[i+1] != "cache:cache" || slices.Index(lines[i+1:], importLine) >= 0 {
		t.Fatalf("plugin.cfg does not hold %s once, between acl:acl and cache:cache:\n%s", importLine, strings.Join(lines, "\n"))
	}

	// 2-4. go get, go generate, go build.
	run(t, "go", "mod", "edit", "-replace", importModule+"="+root)
	run(t, "go", "get", importPlugin+"@v"+distVersion(t))
	run(t, "go", "generate")
	run(t, "go", "build", "-o", "coredns")
	bin := filepath.Join(dir, "coredns")

	t.Run("order", func(t *testing.T) {
		// go generate turned plugin.cfg into CoreDNS's directive list.
		text := string(distRead(t, filepath.Join(dir, "core", "dnsserver", "zdirectives.go")))
		if !regexp.MustCompile(`"acl",\s*"recursionacl",\s*"cache",`).MatchString(text) {
			t.Errorf("core/dnsserver/zdirectives.go does not run recursionacl between acl and cache:\n%s", text)
		}
	})

	t.Run("plugins", func(t *testing.T) {
		out := run(t, bin, "-plugins")
		if !slices.Contains(strings.Fields(out), "recursionacl") {
			t.Errorf("-plugins does not list recursionacl:\n%s", out)
		}
		if out := run(t, bin, "-version"); !strings.Contains(out, "CoreDNS-1.15.0") {
			t.Errorf("-version: %s", out)
		}
	})

	t.Run("nothing else", func(t *testing.T) {
		var linked []string
		for _, pkg := range strings.Fields(run(t, "go", "list", "-deps", ".")) {
			if pkg == importModule || strings.HasPrefix(pkg, importModule+"/") {
				linked = append(linked, pkg)
			}
		}
		if !slices.Contains(linked, importPlugin) {
			t.Errorf("%s is not linked: %q", importPlugin, linked)
		}
		for _, pkg := range linked {
			if pkg != importPlugin && !strings.HasPrefix(pkg, importModule+"/plugin/pkg/") {
				t.Errorf("importing recursionacl links %s: only the plugin and plugin/pkg/... may come along", pkg)
			}
		}
		t.Logf("corebind packages linked: %q", linked)

		// Adding the plugin moved none of CoreDNS's own dependencies: corebind
		// requires exactly the versions CoreDNS v1.15.0 does.
		after := run(t, "go", "list", "-m", "all")
		var added []string
		for _, m := range strings.Split(after, "\n") {
			if !slices.Contains(strings.Split(before, "\n"), m) {
				added = append(added, m)
			}
		}
		if want := []string{importModule + " v" + distVersion(t) + " => " + root}; !slices.Equal(added, want) {
			t.Errorf("go get changed the module graph by %q, want only %q", added, want)
		}
	})

	t.Run("serves", func(t *testing.T) {
		// recursionacl at work in the imported build: 127.0.0.1 may recurse
		// (forward to a BIND 9 upstream), 127.0.0.2 may not, and both get
		// the hosts file's authoritative data.
		upstream := testkit.StartNamed(t, testkit.NamedOptions{
			Conf:  `zone "example.org" { type primary; file "example.org.db"; };`,
			Files: map[string]string{"example.org.db": testkit.Zone("ns1 A 127.0.0.1\nwww A 192.0.2.80\n")},
		})
		port, metrics := testkit.FreePort(t), testkit.FreePort(t)
		addr := testkit.HostPort("127.0.0.1", port)
		corefile := fmt.Sprintf(`.:%d {
    recursionacl {
        allow 127.0.0.1
    }
    prometheus 127.0.0.1:%d
    hosts import.hosts import.example
    forward . %s
}
`, port, metrics, upstream.Addr)
		work := t.TempDir()
		testkit.WriteFile(t, filepath.Join(work, "Corefile"), corefile)
		testkit.WriteFile(t, filepath.Join(work, "import.hosts"), "192.0.2.53 import.example\n")
		cmd := exec.Command(bin, "-conf", "Corefile")
		cmd.Dir = work
		p := testkit.StartProc(t, "imported coredns", cmd)
		testkit.WaitDNS(t, nil, addr, p)

		answer := func(r *dns.Msg) string {
			if len(r.Answer) != 1 {
				return dns.RcodeToString[r.Rcode]
			}
			return r.Answer[0].(*dns.A).A.String()
		}
		for _, c := range []struct{ from, name, want string }{
			{"127.0.0.1", "www.example.org", "192.0.2.80"}, // allowed: recursion
			{"127.0.0.2", "www.example.org", "REFUSED"},    // denied
			{"127.0.0.1", "import.example", "192.0.2.53"},  // authoritative data, for all
			{"127.0.0.2", "import.example", "192.0.2.53"},
		} {
			for _, network := range []string{"udp", "tcp"} {
				if got := answer(testkit.Query(t, network, c.from, addr, c.name, dns.TypeA)); got != c.want {
					t.Errorf("%s %s A from %s: %s, want %s", network, c.name, c.from, got, c.want)
				}
			}
		}
		// The server chain holds the plugin (CoreDNS's own account of it).
		text := distGet(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics))
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^coredns_plugin_enabled\{name="recursionacl",server="dns://:%d",[^}]*zone="\."\} 1$`, port))
		if !re.MatchString(text) {
			t.Errorf("metrics do not show recursionacl enabled in the server:\n%s", distGrep(text, "coredns_plugin_enabled"))
		}
		if err := p.Stop(); err != nil {
			t.Errorf("exit: %v", err)
		}
	})
}
