package test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	ctest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

// TestReadme starts every `~~~ corefile` block of README.md and of each
// plugin's README, and checks that each plugin README has CoreDNS's man-page
// sections in order. Each block runs in a fresh working directory holding the
// files of testdata/readme (examples use relative paths), with the default
// port replaced by a free one, and must answer a DNS query once started.
func TestReadme(t *testing.T) {
	readmes := []string{filepath.Join("..", "README.md")}
	plugins, err := filepath.Glob(filepath.Join("..", "plugin", "*", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readmes = append(readmes, plugins...)
	caddy.Quiet, dnsserver.Quiet = true, true

	fixtures, err := filepath.Abs(filepath.Join("testdata", "readme"))
	if err != nil {
		t.Fatal(err)
	}
	for _, readme := range readmes {
		if readme != readmes[0] {
			if err := sections(readme); err != nil {
				t.Error(err)
			}
		}
		blocks, err := corefileBlocks(readme)
		if err != nil {
			t.Fatal(err)
		}
		for i, block := range blocks {
			t.Run(fmt.Sprintf("%s#%d", filepath.Base(filepath.Dir(readme)), i+1), func(t *testing.T) {
				startExample(t, fixtures, block)
			})
		}
	}
}

func startExample(t *testing.T, fixtures, corefile string) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixtures)); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	port := testkit.FreePort(t)
	old := dnsserver.Port
	dnsserver.Port = strconv.Itoa(port)
	defer func() { dnsserver.Port = old }()

	i, err := caddy.Start(ctest.NewInput(corefile))
	if err != nil {
		t.Fatalf("example does not start: %v\n%s", err, corefile)
	}
	defer func() {
		i.Stop()
		i.ShutdownCallbacks()
	}()
	// The example serves: some listener answers a query (any rcode).
	udp, _ := ctest.CoreDNSServerPorts(i, 0)
	if udp == "" {
		t.Fatalf("example started no UDP listener:\n%s", corefile)
	}
	m := new(dns.Msg)
	m.SetQuestion("example.org.", dns.TypeSOA)
	if _, err := testkit.TryExchange("udp", "", udp, m); err != nil {
		t.Errorf("example does not answer on %s: %v\n%s", udp, err, corefile)
	}
}

// corefileBlocks returns the bodies of the ~~~ corefile blocks of a README.
func corefileBlocks(readme string) ([]string, error) {
	f, err := os.Open(readme)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var blocks []string
	var cur *strings.Builder
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		switch {
		case cur == nil && (line == "~~~ corefile" || line == "``` corefile"):
			cur = &strings.Builder{}
		case cur != nil && (line == "~~~" || line == "```"):
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: unterminated corefile block", readme)
	}
	return blocks, s.Err()
}

// sections checks a plugin README for CoreDNS's sections, in order.
func sections(readme string) error {
	want := []string{"## Name", "## Description", "## Syntax", "## Examples"}
	data, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	next := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "## Also See") {
			return fmt.Errorf("%s: use %q, not %q", readme, "## See Also", "## Also See")
		}
		if next < len(want) && strings.HasPrefix(line, want[next]) {
			next++
		}
	}
	if next != len(want) {
		return fmt.Errorf("%s: sections missing or out of order; want at least %s", readme, strings.Join(want, ", "))
	}
	return nil
}
