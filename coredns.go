// Command coredns is CoreDNS v1.15.0 with corebind's plugins, built from
// plugin.cfg.
package main

//go:generate go run ./internal/plugincfg/gen

import (
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/coremain"

	_ "github.com/corebind/corebind/core" // plugin.cfg's plugins and order
	"github.com/corebind/corebind/internal/stackstart"
)

//go:embed VERSION
var version string

// commit is set by build.sh (-ldflags -X main.commit=...).
var commit string

func main() {
	// CoreDNS prints GitCommit after its own version (`coredns -version`, and
	// at startup); corebind's version goes there so both are always shown.
	coremain.GitCommit = "corebind-" + strings.TrimSpace(version)
	if commit != "" {
		coremain.GitCommit += " (" + commit + ")"
	}
	if wantsPlugins(os.Args[1:]) {
		// CoreDNS 1.15 strips the server type from the names; corebind keeps
		// caddy's qualified form (dns.querylog), which tells a DNS plugin
		// from an event hook such as "on".
		for _, name := range caddy.ListPlugins()["others"] {
			fmt.Println(name)
		}
		return
	}
	// Queries' goroutines start with a 16 KiB stack instead of growing
	// one (internal/stackstart says why and what it buys).
	stackstart.Keep(100 * time.Millisecond)
	coremain.Run()
}

// wantsPlugins reports whether the command line asks for -plugins.
func wantsPlugins(args []string) bool {
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "plugins", "plugins=true", "plugins=1":
			return strings.HasPrefix(a, "-")
		}
	}
	return false
}
