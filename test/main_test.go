// Package test holds corebind's integration tests: real CoreDNS servers
// started in-process from a Corefile (github.com/coredns/coredns/test) and
// queried over UDP and TCP on loopback.
package test

import (
	_ "github.com/corebind/corebind/core" // plugin.cfg's plugins and order
)
