package testkit

import (
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// ServeDNS runs h in this process over UDP and TCP on ip and port, the fake
// primary, upstream or name server a test needs; port 0 takes one free for
// both from testkit's port range (see FreePort). With tsig (key name →
// base64 secret) requests' TSIG is verified. It returns the port once both
// servers accept queries; they stop at the test's cleanup.
func ServeDNS(t testing.TB, ip string, port int, h dns.Handler, tsig map[string]string) int {
	t.Helper()
	for range 50 {
		p := port
		if p == 0 {
			p = FreePortOn(t, ip) // from testkit's range, not the ephemeral one
		}
		pc, err := net.ListenPacket("udp", HostPort(ip, p))
		if err != nil {
			if port != 0 {
				t.Fatalf("testkit: listen udp %s: %v", HostPort(ip, p), err)
			}
			continue // taken since FreePortOn looked: try another
		}
		l, err := net.Listen("tcp", HostPort(ip, p))
		if err != nil {
			pc.Close()
			if port != 0 {
				t.Fatalf("testkit: listen tcp %s: %v", HostPort(ip, p), err)
			}
			continue
		}
		for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h, TsigSecret: tsig}, {Listener: l, Handler: h, TsigSecret: tsig}} {
			started := make(chan struct{})
			srv.NotifyStartedFunc = func() { close(started) }
			go srv.ActivateAndServe()
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatalf("testkit: DNS server on %s did not start", HostPort(ip, p))
			}
			t.Cleanup(func() { srv.Shutdown() })
		}
		return p
	}
	t.Fatalf("testkit: no port free for UDP and TCP on %s", ip)
	return 0
}
