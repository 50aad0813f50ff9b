// Package client answers the questions several corebind plugins ask about the
// client behind a query: its address, whether the query is the client's own or
// one the server makes to itself, and what recursionacl decided about it.
package client

import (
	"context"
	"net"
	"net/netip"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/miekg/dns"
)

// Addr returns the client's address with IPv4-mapped IPv6 unmapped, so that
// ::ffff:192.0.2.1 and 192.0.2.1 are one client. ok is false when the writer
// has no usable remote address.
func Addr(w dns.ResponseWriter) (addr netip.Addr, ok bool) {
	switch a := w.RemoteAddr().(type) {
	case *net.UDPAddr:
		addr, ok = netip.AddrFromSlice(a.IP)
	case *net.TCPAddr:
		addr, ok = netip.AddrFromSlice(a.IP)
	case nil:
		return netip.Addr{}, false
	default:
		ap, err := netip.ParseAddrPort(a.String())
		addr, ok = ap.Addr(), err == nil
	}
	return addr.Unmap(), ok
}

// Internal reports whether this query is one the server sends to itself on a
// client's behalf rather than one a client sent: file and rewrite chasing a
// CNAME into another zone re-enter the chain through upstream.Lookup, which
// CoreDNS counts in dnsserver.LoopKey. Plugins that log, count or judge per
// client skip such queries, so that one client query is one log line, as in
// BIND.
func Internal(ctx context.Context) bool {
	loop, _ := ctx.Value(dnsserver.LoopKey{}).(int)
	return loop > 0
}

type recursionKey struct{}

// WithRecursion records recursionacl's decision for this query: whether the
// client may recurse and use the cache (BIND's allow-recursion and
// allow-query-cache).
func WithRecursion(ctx context.Context, allowed bool) context.Context {
	return context.WithValue(ctx, recursionKey{}, allowed)
}

// Recursion returns recursionacl's decision for this query. decided is false
// when no recursionacl ran before the caller (it is not configured, or sits
// later in plugin.cfg); callers then behave as without it.
func Recursion(ctx context.Context) (allowed, decided bool) {
	allowed, decided = ctx.Value(recursionKey{}).(bool)
	return allowed, decided
}
