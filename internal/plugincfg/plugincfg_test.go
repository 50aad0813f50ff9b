package plugincfg

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGeneratedFilesUpToDate fails when core/z*.go do not match plugin.cfg:
// someone edited plugin.cfg without running `go generate`.
func TestGeneratedFilesUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	cfg, err := os.ReadFile(filepath.Join(root, "plugin.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := Parse(bytes.NewReader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := Directives("core", entries)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := Imports("core", entries)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"zdirectives.go": dir, "zplugin.go": imp} {
		got, err := os.ReadFile(filepath.Join(root, "core", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("core/%s is stale against plugin.cfg: run `go generate` at the repository root", name)
		}
	}
}

// TestPluginOrder checks the order constraints plugin.cfg must keep.
func TestPluginOrder(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "plugin.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	var names []string
	for i, e := range entries {
		pos[e.Name] = i
		names = append(names, e.Name)
	}
	before := [][2]string{
		{"querylog", "chaosmask"}, {"querylog", "nsid"}, {"chaosmask", "nsid"},
		{"chaosmask", "any"}, {"chaosmask", "chaos"}, {"chaosmask", "forward"},
		{"acl", "recursionacl"}, {"recursionacl", "cache"},
		{"transfer", "rfc2317"}, {"rfc2317", "hosts"}, {"rfc2317", "file"},
		{"file", "stubzones"}, {"auto", "stubzones"}, {"secondary", "stubzones"},
		{"stubzones", "etcd"}, {"stubzones", "loop"}, {"stubzones", "forward"},
		{"cache", "delegations"}, {"transfer", "delegations"}, {"delegations", "rfc2317"},
		{"delegations", "hosts"}, {"delegations", "file"}, {"delegations", "auto"}, {"delegations", "secondary"},
		{"querylog", "rrl"}, {"chaosmask", "rrl"}, {"rrl", "any"}, {"rrl", "local"},
		{"rrl", "acl"}, {"rrl", "recursionacl"}, {"rrl", "cache"}, {"rrl", "file"},
	}
	for _, b := range before {
		i, ok1 := pos[b[0]]
		j, ok2 := pos[b[1]]
		if !ok1 || !ok2 {
			t.Errorf("plugin.cfg lacks %s or %s", b[0], b[1])
			continue
		}
		if i >= j {
			t.Errorf("plugin.cfg: %s must come before %s", b[0], b[1])
		}
	}
	// Apart from our lines, the list is CoreDNS v1.15.0's own.
	ours := []string{"querylog", "chaosmask", "rrl", "recursionacl", "rfc2317", "stubzones", "delegations"}
	// A directive registered by another corebind plugin's package.
	pkgOf := map[string]string{"delegations": "stubzones"}
	upstream := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(ours, n) })
	if len(upstream) != 62 || upstream[0] != "root" || upstream[len(upstream)-1] != "nomad" {
		t.Errorf("upstream part of plugin.cfg changed: %d entries, %v ... %v", len(upstream), upstream[0], upstream[len(upstream)-1])
	}
	for _, e := range entries {
		pkg := e.Name
		if p, ok := pkgOf[e.Name]; ok {
			pkg = p
		}
		if slices.Contains(ours, e.Name) && e.ImportPath != "github.com/corebind/corebind/plugin/"+pkg {
			t.Errorf("%s imports %s", e.Name, e.ImportPath)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"log:log\nlog:log\n": `line 2: plugin "log" already listed on line 1`,
		"log log\n":          `line 1: "log log" is not of the form name:package`,
		"# only a comment\n": "lists no plugins",
		"log:\n":             "not of the form",
		"a:b:c\n":            "not of the form",
	} {
		_, err := Parse(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestImportsOncePerPackage(t *testing.T) {
	entries, err := Parse(strings.NewReader("a:example.com/x\nb:log\nc:example.com/x\n"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := Imports("core", entries)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(src), `"example.com/x"`); n != 1 {
		t.Errorf("example.com/x imported %d times:\n%s", n, src)
	}
}

func TestImportPaths(t *testing.T) {
	entries, err := Parse(strings.NewReader("prometheus:metrics\non:github.com/coredns/caddy/onevent\nx:example.com/x/y\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"github.com/coredns/coredns/plugin/metrics", "github.com/coredns/caddy/onevent", "example.com/x/y"}
	for i, e := range entries {
		if e.ImportPath != want[i] {
			t.Errorf("entry %d: %s, want %s", i, e.ImportPath, want[i])
		}
	}
}
