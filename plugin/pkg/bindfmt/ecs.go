package bindfmt

import (
	"net/netip"
	"strconv"
)

// ECS is the EDNS Client Subnet option (RFC 7871) of a query, as received.
type ECS struct {
	Family uint16     // 1 IPv4, 2 IPv6; other values are printed as BIND prints them
	Addr   netip.Addr // the address bits the client sent, zero-filled
	Source uint8      // SOURCE PREFIX-LENGTH
	Scope  uint8      // SCOPE PREFIX-LENGTH (0 in a well-formed query)
}

// AppendECS appends BIND 9.18's "[ECS 192.0.2.0/24/0]" (address/source/scope);
// the leading space is the caller's.
func AppendECS(b []byte, e ECS) []byte {
	b = append(b, "[ECS "...)
	b = AppendECSValue(b, e)
	return append(b, ']')
}

// AppendECSValue appends address/source/scope, what BIND prints in the brackets.
func AppendECSValue(b []byte, e ECS) []byte {
	switch {
	case e.Family == 1 && e.Addr.IsValid():
		b = e.Addr.Unmap().AppendTo(b)
	case e.Family == 2 && e.Addr.IsValid():
		b = netip.AddrFrom16(e.Addr.As16()).AppendTo(b)
	default:
		b = append(b, "<unknown address, family "...)
		b = strconv.AppendUint(b, uint64(e.Family), 10)
		b = append(b, '>')
	}
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(e.Source), 10)
	b = append(b, '/')
	return strconv.AppendUint(b, uint64(e.Scope), 10)
}
