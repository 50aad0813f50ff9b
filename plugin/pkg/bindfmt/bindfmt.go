// Package bindfmt formats log text as BIND 9.18 writes it, so parsers and
// fail2ban filters built for BIND keep working. Every function appends to a
// caller's []byte (strconv.Append style) and names are re-escaped BIND's way.
package bindfmt

import (
	"net/netip"
	"strconv"
)

// AppendClient appends BIND's "client @0x<id> <ip>#<port>[/key <key>] (<qname>): ";
// key is "" unless the query's TSIG signature was verified.
func AppendClient(b []byte, id uint64, client netip.AddrPort, key, qname string) []byte {
	b = appendClientID(b, id, client)
	if key != "" {
		b = append(b, "/key "...)
		b = AppendName(b, key)
	}
	b = append(b, " ("...)
	b = AppendName(b, qname)
	return append(b, "): "...)
}

// appendClientID appends "client @0x<id> <ip>#<port>".
func appendClientID(b []byte, id uint64, client netip.AddrPort) []byte {
	b = append(b, "client @0x"...)
	b = strconv.AppendUint(b, id, 16)
	b = append(b, ' ')
	return AppendAddrPort(b, client)
}

// AppendAddrPort appends BIND's ip#port, IPv4-mapped addresses as IPv4.
func AppendAddrPort(b []byte, ap netip.AddrPort) []byte {
	b = ap.Addr().Unmap().AppendTo(b)
	b = append(b, '#')
	return strconv.AppendUint(b, uint64(ap.Port()), 10)
}

// AppendQuery appends "query: <qname> <CLASS> <TYPE> <flags> (<server-ip>)";
// the server has no port, as in BIND 9.18 (later versions add "#port").
func AppendQuery(b []byte, qname string, qclass, qtype uint16, f Flags, ednsVersion uint8, server netip.Addr) []byte {
	b = append(b, "query: "...)
	b = AppendName(b, qname)
	b = append(b, ' ')
	b = AppendClass(b, qclass)
	b = append(b, ' ')
	b = AppendType(b, qtype)
	b = append(b, ' ')
	b = AppendFlags(b, f, ednsVersion)
	b = append(b, " ("...)
	b = server.Unmap().AppendTo(b)
	return append(b, ')')
}
