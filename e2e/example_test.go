package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
)

// examplePorts are the fixed ports Corefile.example and the README use; the
// test moves each to a free port, in the Corefile and in the commands alike.
var examplePorts = []string{"1053", "1054", "1055", "1056", "9154"}

// TestCorefileExample serves Corefile.example with the built binary, as
// `./build.sh run` does, and runs every command of the README's "Try it"
// section, comparing the output with what the README says it prints.
func TestCorefileExample(t *testing.T) {
	testkit.Require(t, "dig", "curl", "jq", "fail2ban-regex")
	root := testkit.RepoRoot()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "examples"), os.DirFS(filepath.Join(root, "examples"))); err != nil {
		t.Fatal(err)
	}
	corefile, err := os.ReadFile(filepath.Join(root, "Corefile.example"))
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]string{}
	for _, p := range examplePorts {
		ports[p] = fmt.Sprint(testkit.FreePort(t))
	}
	remap := func(s string) string {
		return portRE.ReplaceAllStringFunc(s, func(m string) string {
			if p, ok := ports[m]; ok {
				return p
			}
			return m
		})
	}
	// ./build.sh run creates ./run for the logs and stub zone copies.
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := testkit.StartCoreDNSIn(t, dir, remap(string(corefile)), testkit.CoreDNSOptions{Wait: "127.0.0.1:" + ports["1053"]})

	cmds := readmeCommands(t, filepath.Join(root, "README.md"))
	if len(cmds) < 5 {
		t.Fatalf("README's Try it section has %d commands, want the documented examples", len(cmds))
	}
	for _, c := range cmds {
		// Stub zones and the stats endpoint come up in the background; the
		// README's commands are run as a user would, a moment after start.
		var out string
		want := expected(c.want)
		for try := 0; try < 50; try++ {
			cmd := exec.Command("bash", "-c", remap(c.cmd))
			cmd.Dir = dir // the README's commands run from the repository root
			b, _ := cmd.CombinedOutput()
			out = strings.TrimRight(string(b), "\n")
			if want.MatchString(out) {
				break
			}
			testkitSleep()
		}
		if !want.MatchString(out) {
			t.Errorf("README command\n  $ %s\nprinted\n%s\nREADME says\n%s", c.cmd, indent(out), indent(c.want))
		}
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("coredns did not stop cleanly: %v", err)
	}
}

var portRE = regexp.MustCompile(`\b\d{4}\b`)

// expected turns README output into a pattern: the text as printed, where
// "…" stands for what changes from run to run (times, ports, query ids).
func expected(text string) *regexp.Regexp {
	parts := strings.Split(text, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`^` + strings.Join(parts, `.*?`) + `$`)
}

type readmeCmd struct{ cmd, want string }

// readmeCommands returns the commands ("$ ..." lines) of the ~~~ console
// blocks in the README's "## Try it" section, each with the output lines that
// follow it.
func readmeCommands(t *testing.T, readme string) []readmeCmd {
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []readmeCmd
	var want []string
	in, block := false, false
	flush := func() {
		if len(cmds) > 0 && want != nil {
			cmds[len(cmds)-1].want = strings.Join(want, "\n")
		}
		want = nil
	}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Try it"
		case in && line == "~~~ console":
			block = true
		case in && block && line == "~~~":
			flush()
			block = false
		case in && block && strings.HasPrefix(line, "$ "):
			flush()
			cmds = append(cmds, readmeCmd{cmd: line[2:]})
			want = []string{}
		case in && block && want != nil:
			want = append(want, line)
		}
	}
	return cmds
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
