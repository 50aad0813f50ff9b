// Command vanilla is CoreDNS v1.15.0 exactly as upstream builds it — its own
// plugin.cfg, none of corebind's plugins — from the same pinned module. The
// benchmarks and the distribution tests compare corebind against it.
package main

import (
	_ "github.com/coredns/coredns/core/plugin" // upstream's plugin set and order
	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
