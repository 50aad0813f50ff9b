package testkit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const exampleZone = `$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
@ IN NS ns1
ns1 IN A 127.0.0.1
www IN A 192.0.2.80
`

// TestPeers starts named as an authoritative server, corebind forwarding to
// it, and queries both with the Go client and with dig.
func TestPeers(t *testing.T) {
	named := StartNamed(t, NamedOptions{
		Conf:  `zone "example.org" { type primary; file "example.org.db"; };`,
		Files: map[string]string{"example.org.db": exampleZone},
	})
	port := FreePort(t)
	addr := HostPort("127.0.0.1", port)
	c := StartCoreDNS(t, fmt.Sprintf(".:%d {\n forward . %s\n}\n", port, named.Addr), CoreDNSOptions{Wait: addr})

	for _, network := range []string{"udp", "tcp"} {
		r := Query(t, network, "127.0.0.2", addr, "www.example.org", dns.TypeA)
		if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.80" {
			t.Errorf("%s: got %v", network, r.Answer)
		}
	}
	out, code := Dig(t, nil, "@127.0.0.1", "-p", fmt.Sprint(port), "www.example.org", "A", "+short")
	if code != 0 || strings.TrimSpace(out) != "192.0.2.80" {
		t.Errorf("dig: exit %d, %q", code, out)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("coredns exit: %v", err)
	}
	named.WriteFile("example.org.db", strings.Replace(strings.Replace(exampleZone, "192.0.2.80", "192.0.2.81", 1), " 1 3600", " 2 3600", 1))
	named.Reload()
	// named logs the reload before the zone has loaded from the new file.
	var r *dns.Msg
	if !Eventually(5*time.Second, func() bool {
		r = Query(t, "udp", "", named.Addr, "www.example.org", dns.TypeA)
		return len(r.Answer) == 1 && r.Answer[0].(*dns.A).A.String() == "192.0.2.81"
	}) {
		t.Errorf("after reload: got %v", r.Answer)
	}
}

// TestNetns runs named on port 53 at an address inside a namespace.
func TestNetns(t *testing.T) {
	ns := NewNetns(t, "127.0.0.11")
	StartNamed(t, NamedOptions{
		Netns:  ns,
		Listen: "127.0.0.11",
		Conf:   `zone "example.org" { type primary; file "example.org.db"; };`,
		Files:  map[string]string{"example.org.db": exampleZone},
	})
	out, code := Dig(t, ns, "@127.0.0.11", "www.example.org", "+short")
	if code != 0 || strings.TrimSpace(out) != "192.0.2.80" {
		t.Errorf("dig in netns: exit %d, %q", code, out)
	}
}
