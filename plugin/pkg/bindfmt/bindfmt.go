// Package bindfmt formats log text the way BIND 9 writes it, so that parsers,
// fail2ban filters and habits built for BIND keep working on corebind's logs.
//
// Every function appends to a caller's []byte and returns the extended slice,
// strconv.Append style; none allocates when the slice has room. A typical
// query line is built like this:
//
//	b = bindfmt.AppendPrefix(b, t, "queries", "info")             // file channels only
//	b = bindfmt.AppendClient(b, id, client, key, qname)          // client @0x… ip#port (qname):
//	b = bindfmt.AppendQuery(b, qname, qclass, qtype, flags, 0, server)
//
// which gives (BIND 9.18, checked against a running named):
//
//	21-Nov-2026 05:13:46.800 queries: info: client @0xc000123400 127.0.0.1#53211 (www.example.org): query: www.example.org IN A +E(0)K (127.0.0.1)
//
// Names are taken in presentation form, as miekg/dns holds them after
// unpacking a message, and re-escaped BIND's way (see AppendName): a query
// name can never put a newline, a quote or a byte outside printable ASCII
// into a log line.
package bindfmt

import (
	"net/netip"
	"strconv"
)

// AppendClient appends BIND's client prefix for a query:
//
//	client @0x<id> <ip>#<port>[/key <key>] (<qname>):
//
// id is an opaque identifier printed in hex (BIND prints the address of its
// client object). key is the name of the TSIG key that signed the query, ""
// when unsigned; BIND adds "/key NAME" only for a verified signature. qname
// is in presentation form; it is printed as AppendName does.
func AppendClient(b []byte, id uint64, client netip.AddrPort, key, qname string) []byte {
	b = append(b, "client @0x"...)
	b = strconv.AppendUint(b, id, 16)
	b = append(b, ' ')
	b = AppendAddrPort(b, client)
	if key != "" {
		b = append(b, "/key "...)
		b = AppendName(b, key)
	}
	b = append(b, " ("...)
	b = AppendName(b, qname)
	return append(b, "): "...)
}

// AppendAddrPort appends ip#port, BIND's socket address form. IPv4-mapped
// IPv6 addresses are printed as IPv4.
func AppendAddrPort(b []byte, ap netip.AddrPort) []byte {
	b = ap.Addr().Unmap().AppendTo(b)
	b = append(b, '#')
	return strconv.AppendUint(b, uint64(ap.Port()), 10)
}

// AppendQuery appends the body of BIND 9.18's query log message:
//
//	query: <qname> <CLASS> <TYPE> <flags> (<server-ip>)
//
// server is the address the query was sent to; BIND 9.18 prints it without
// the port (9.21 and later add "#port"; corebind keeps the 9.18 form that
// log shippers' patterns expect).
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
