// Command gen regenerates core/zdirectives.go and core/zplugin.go from
// plugin.cfg. Run it through `go generate` at the repository root.
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/corebind/corebind/internal/plugincfg"
)

func main() {
	f, err := os.Open("plugin.cfg")
	if err != nil {
		log.Fatalf("gen: %v (run it from the repository root, through go generate)", err)
	}
	defer f.Close()
	entries, err := plugincfg.Parse(f)
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	dir, err := plugincfg.Directives("core", entries)
	if err != nil {
		log.Fatalf("gen: rendering directives: %v", err)
	}
	imp, err := plugincfg.Imports("core", entries)
	if err != nil {
		log.Fatalf("gen: rendering imports: %v", err)
	}
	for name, data := range map[string][]byte{"zdirectives.go": dir, "zplugin.go": imp} {
		if err := os.WriteFile(filepath.Join("core", name), data, 0o644); err != nil {
			log.Fatalf("gen: %v", err)
		}
	}
}
