// Package core plugs corebind's plugin set into CoreDNS: importing it
// registers every plugin of plugin.cfg and hands CoreDNS their order.
// The main package and the integration tests import it; nothing else should.
package core

import (
	"fmt"

	"github.com/coredns/coredns/core/dnsserver"
)

func init() {
	if err := dnsserver.SetDirectives(Directives); err != nil {
		// plugincfg.Parse already rejects what SetDirectives would; reaching
		// this means a hand-edited zdirectives.go.
		panic(fmt.Sprintf("corebind: invalid directive list: %v", err))
	}
}
