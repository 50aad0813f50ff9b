package serverlabel

import (
	"slices"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
)

func TestFirst(t *testing.T) {
	for _, tc := range []struct {
		cfg  dnsserver.Config
		want string
	}{
		{dnsserver.Config{Transport: "dns", Port: "53"}, "dns://:53"},
		{dnsserver.Config{Transport: "dns", Port: "1053", ListenHosts: []string{""}}, "dns://:1053"},
		{dnsserver.Config{Transport: "dns", Port: "53", ListenHosts: []string{"127.0.0.1"}}, "dns://127.0.0.1:53"},
		{dnsserver.Config{Transport: "dns", Port: "53", ListenHosts: []string{"::1"}}, "dns://[::1]:53"},
		{dnsserver.Config{Transport: "dns", Port: "1053", ListenHosts: []string{"127.0.0.1", "::1"}}, "dns://127.0.0.1:1053"},
		{dnsserver.Config{Transport: "tls", Port: "853", ListenHosts: []string{"::1"}}, "tls://[::1]:853"},
		// Not resolvable (a port number that is none; no lookup leaves the
		// machine): the address as written.
		{dnsserver.Config{Transport: "dns", Port: "99999", ListenHosts: []string{"127.0.0.1"}}, "dns://127.0.0.1:99999"},
	} {
		if got := First(&tc.cfg); got != tc.want {
			t.Errorf("First(%v %v %v) = %q, want %q", tc.cfg.Transport, tc.cfg.ListenHosts, tc.cfg.Port, got, tc.want)
		}
	}
}

func TestAll(t *testing.T) {
	cfgs := []*dnsserver.Config{
		{Transport: "dns", Port: "53", ListenHosts: []string{"127.0.0.1", "::1"}},
		{Transport: "dns", Port: "99999", ListenHosts: []string{"127.0.0.1"}}, // does not resolve
		{Transport: "dns", Port: "53", ListenHosts: []string{"127.0.0.1"}},    // the same listener again
		{Transport: "dns", Port: "54", ListenHosts: []string{""}},
	}
	want := []string{"dns://127.0.0.1:53", "dns://[::1]:53", "dns://:54"}
	if got := All(cfgs); !slices.Equal(got, want) {
		t.Errorf("All = %q, want %q", got, want)
	}
}
