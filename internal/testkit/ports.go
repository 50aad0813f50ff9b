package testkit

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// Test ports come from a range of their own: below the kernel's ephemeral
// range (32768-60999 on Linux), where `.:0` servers and every client socket
// get their ports, and below bench/'s range (20000-32000). A port picked from
// the ephemeral range could be handed to an in-process `.:0` server between
// the pick and its use, and with SO_REUSEPORT (CoreDNS, BIND) both servers
// would bind it without an error and split, or steal, each other's packets.
const (
	portLow  = 10000
	portHigh = 19999
)

// FreePort returns a port that is free on 127.0.0.1 for both UDP and TCP at
// the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePortOn(t, "127.0.0.1")
}

// FreePortOn is FreePort for another local address (e.g. "::1").
func FreePortOn(t testing.TB, ip string) int {
	t.Helper()
	for range 200 {
		port := portLow + rand.IntN(portHigh-portLow+1)
		if free(ip, port) {
			return port
		}
	}
	t.Fatalf("testkit: no port between %d and %d free for both UDP and TCP on %s", portLow, portHigh, ip)
	return 0
}

func free(ip string, port int) bool {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	tl, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer tl.Close()
	ul, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	ul.Close()
	return true
}

// HostPort joins ip and port.
func HostPort(ip string, port int) string { return net.JoinHostPort(ip, fmt.Sprint(port)) }
