package testkit

import (
	"fmt"
	"net"
	"strconv"
	"testing"
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
	for range 50 {
		tl, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatalf("testkit: finding a free port: %v", err)
		}
		port := tl.Addr().(*net.TCPAddr).Port
		ul, err := net.ListenPacket("udp", net.JoinHostPort(ip, strconv.Itoa(port)))
		tl.Close()
		if err != nil {
			continue // taken for UDP; try another
		}
		ul.Close()
		return port
	}
	t.Fatalf("testkit: no port free for both UDP and TCP on %s", ip)
	return 0
}

// HostPort joins ip and port.
func HostPort(ip string, port int) string { return net.JoinHostPort(ip, fmt.Sprint(port)) }
