package bindfmt

import (
	"net/netip"
	"testing"
)

// The expected texts are what BIND 9.18.49 printed for the same options.
func TestAppendECS(t *testing.T) {
	for _, tc := range []struct {
		e    ECS
		want string
	}{
		{ECS{Family: 1, Addr: netip.MustParseAddr("192.0.2.0"), Source: 24}, "[ECS 192.0.2.0/24/0]"},
		{ECS{Family: 1, Addr: netip.MustParseAddr("::ffff:192.0.2.128"), Source: 25}, "[ECS 192.0.2.128/25/0]"},
		{ECS{Family: 1, Addr: netip.MustParseAddr("0.0.0.0")}, "[ECS 0.0.0.0/0/0]"},
		{ECS{Family: 2, Addr: netip.MustParseAddr("2001:db8::"), Source: 56}, "[ECS 2001:db8::/56/0]"},
		{ECS{Family: 2, Addr: netip.MustParseAddr("::")}, "[ECS ::/0/0]"},
		{ECS{Family: 2, Addr: netip.MustParseAddr("::ffff:192.0.2.1"), Source: 128}, "[ECS ::ffff:192.0.2.1/128/0]"},
		{ECS{Family: 0}, "[ECS <unknown address, family 0>/0/0]"},
		{ECS{Family: 1, Addr: netip.MustParseAddr("10.0.0.0"), Source: 8, Scope: 16}, "[ECS 10.0.0.0/8/16]"},
	} {
		if got := string(AppendECS(nil, tc.e)); got != tc.want {
			t.Errorf("AppendECS(%+v) = %s, want %s", tc.e, got, tc.want)
		}
	}
}

func TestAppendTSIGFailure(t *testing.T) {
	client := netip.MustParseAddrPort("127.0.0.2:49245")
	for rcode, want := range map[int]string{
		16: "client @0x2a 127.0.0.2#49245: request has invalid signature: TSIG k1: tsig verify failure (BADSIG)",
		17: "client @0x2a 127.0.0.2#49245: request has invalid signature: TSIG k1: tsig verify failure (BADKEY)",
		18: "client @0x2a 127.0.0.2#49245: request has invalid signature: TSIG k1: tsig verify failure (BADTIME)",
	} {
		if got := string(AppendTSIGFailure(nil, 0x2a, client, "k1.", rcode)); got != want {
			t.Errorf("rcode %d:\n got %s\nwant %s", rcode, got, want)
		}
	}
}

func TestECSNoAllocations(t *testing.T) {
	b := make([]byte, 0, 256)
	e := ECS{Family: 2, Addr: netip.MustParseAddr("2001:db8::"), Source: 56}
	client := netip.MustParseAddrPort("[2001:db8::53]:5353")
	if n := testing.AllocsPerRun(100, func() {
		b = AppendECS(b[:0], e)
		b = AppendTSIGFailure(b, 1, client, "key.example.", 17)
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
