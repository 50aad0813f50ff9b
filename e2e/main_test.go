// Package e2e holds corebind's end-to-end tests: the built coredns binary
// against real peers (BIND 9 named, dig, kdig, fail2ban, nmap) on loopback and
// in private network namespaces, through internal/testkit.
//
// ./build.sh test sets COREBIND_BINARY to the binary it built; without it the
// tests build one themselves.
package e2e

import "time"

func testkitSleep() { time.Sleep(100 * time.Millisecond) }
