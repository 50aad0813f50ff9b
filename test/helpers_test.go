package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/miekg/dns"
)

// hasEDE reports whether m carries the Extended DNS Error code.
func hasEDE(m *dns.Msg, code uint16) bool {
	if o := m.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if e, ok := e.(*dns.EDNS0_EDE); ok && e.InfoCode == code {
				return true
			}
		}
	}
	return false
}

// onTestPort gives every `:0` server block of corefile one port from
// testkit's range, below the kernel's ephemeral range. With `:0`, the kernel
// may hand a UDP server a port that a server in another test process
// already holds with SO_REUSEPORT (CoreDNS sets it); when that one is bound
// to 127.0.0.1 and this one to the wildcard, every query to the port goes
// to the other process (seen with go test ./... running packages at once).
func onTestPort(t *testing.T, corefile string) string {
	t.Helper()
	return strings.ReplaceAll(corefile, ":0 {", fmt.Sprintf(":%d {", testkit.FreePort(t)))
}
