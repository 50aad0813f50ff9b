package main

import (
	"debug/buildinfo"
	"debug/elf"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// binaryInfo is what the image needs to know about the coredns binary.
type binaryInfo struct {
	platform v1.Platform
	coredns  string // version of github.com/coredns/coredns linked in, e.g. v1.15.0
}

// inspect checks that path is a Go binary that runs on an empty image — Linux,
// statically linked — and reads its platform and CoreDNS version from the
// build information the Go linker embeds.
func inspect(path string) (binaryInfo, error) {
	var bi binaryInfo
	f, err := elf.Open(path)
	if err != nil {
		return bi, fmt.Errorf("binary %s: not a Linux executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return bi, fmt.Errorf("binary %s is dynamically linked and would not start on an empty image: build it with CGO_ENABLED=0", path)
		}
	}

	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return bi, fmt.Errorf("binary %s: reading Go build information: %w", path, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != "linux" {
		return bi, fmt.Errorf("binary %s is built for GOOS=%s, not linux", path, settings["GOOS"])
	}
	bi.platform = v1.Platform{OS: "linux", Architecture: settings["GOARCH"]}
	if bi.platform.Architecture == "arm" && settings["GOARM"] != "" {
		bi.platform.Variant = "v" + settings["GOARM"][:1] // GOARM=7 or 7,softfloat
	}
	for _, m := range info.Deps {
		if m.Path == "github.com/coredns/coredns" {
			bi.coredns = m.Version
		}
	}
	if bi.coredns == "" {
		return bi, fmt.Errorf("binary %s does not link github.com/coredns/coredns: not a CoreDNS build", path)
	}
	return bi, nil
}
