package querylog

import (
	"net/netip"
	"strconv"

	"github.com/coredns/caddy"
)

// addrMask truncates the client addresses a directive writes (`mask V4BITS
// V6BITS`); statistics and other directives keep full addresses.
type addrMask struct {
	on     bool
	v4, v6 int
}

// parseMask reads `mask V4BITS V6BITS`.
func parseMask(c *caddy.Controller) (addrMask, error) {
	args := c.RemainingArgs()
	if len(args) != 2 {
		return addrMask{}, c.Errf("mask needs two prefix lengths, IPv4 then IPv6, e.g. mask 24 48")
	}
	v4, err4 := strconv.Atoi(args[0])
	v6, err6 := strconv.Atoi(args[1])
	if err4 != nil || v4 < 0 || v4 > 32 {
		return addrMask{}, c.Errf("mask %q: the IPv4 prefix length must be a number from 0 to 32", args[0])
	}
	if err6 != nil || v6 < 0 || v6 > 128 {
		return addrMask{}, c.Errf("mask %q: the IPv6 prefix length must be a number from 0 to 128", args[1])
	}
	return addrMask{on: true, v4: v4, v6: v6}, nil
}

// addr truncates a to its prefix: the host bits become zero, so a masked
// address still parses as an address (192.0.2.0, 2001:db8:1::).
func (m addrMask) addr(a netip.Addr) netip.Addr {
	a = a.Unmap()
	bits := m.v6
	if a.Is4() {
		bits = m.v4
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return a
	}
	return p.Addr()
}

// apply masks the record's client and ECS address, keeping the ECS prefix lengths.
func (m addrMask) apply(rec *record) {
	rec.client = netip.AddrPortFrom(m.addr(rec.client.Addr()), rec.client.Port())
	if !rec.hasECS {
		return
	}
	switch rec.ecsFamily {
	case 1:
		a := m.addr(netip.AddrFrom4([4]byte(rec.ecsAddr[:4]))).As4()
		copy(rec.ecsAddr[:4], a[:])
	case 2:
		rec.ecsAddr = m.addr(netip.AddrFrom16(rec.ecsAddr)).As16()
	}
}
