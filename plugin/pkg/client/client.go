// Package client answers the questions several corebind plugins ask about the
// client behind a query: its address, whether the query is the client's own or
// one the server makes to itself, the TSIG key it was signed with, and what
// recursionacl decided about it.
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
	ap := AddrPort(w.RemoteAddr())
	return ap.Addr(), ap.Addr().IsValid()
}

// AddrPort converts an address of a dns.ResponseWriter (RemoteAddr or
// LocalAddr) to a netip.AddrPort without allocating for UDP and TCP, with
// IPv4-mapped IPv6 unmapped. It is the zero AddrPort when a cannot be told.
func AddrPort(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.UDPAddr:
		if a == nil {
			return ap
		}
		ap = a.AddrPort()
	case *net.TCPAddr:
		if a == nil {
			return ap
		}
		ap = a.AddrPort()
	case nil:
		return ap
	default:
		p, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return ap
		}
		ap = p
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
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

// TSIGStatus is what the server made of a query's TSIG signature.
type TSIGStatus uint8

const (
	// Unsigned: the query has no TSIG record.
	Unsigned TSIGStatus = iota
	// Verified: the server holds the key and the signature is good.
	Verified
	// Unchecked: the server holds no TSIG keys at all (no tsig plugin on
	// this listener), so nothing was verified; the query is answered as an
	// unsigned one.
	Unchecked
	// Failed: the server holds keys and the signature did not verify
	// (unknown key, wrong MAC, time outside the fudge). The tsig plugin
	// answers NOTAUTH with BADKEY, BADSIG or BADTIME; BIND logs no query
	// line for such a request, only a security message.
	Failed
)

// TSIG reports the key name a query was signed with (as in the TSIG record,
// fully qualified; "" when unsigned) and what the server made of it. Only a
// Verified key identifies a client: a signature nobody checked proves
// nothing.
func TSIG(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (key string, status TSIGStatus) {
	t := r.IsTsig()
	if t == nil {
		return "", Unsigned
	}
	srv, ok := ctx.Value(dnsserver.Key{}).(*dnsserver.Server)
	if !ok || len(srv.TsigSecret) == 0 {
		return t.Hdr.Name, Unchecked
	}
	if w.TsigStatus() != nil {
		return t.Hdr.Name, Failed
	}
	return t.Hdr.Name, Verified
}

// VerifiedKey is the name of the TSIG key that signed r when the server
// verified the signature, "" otherwise.
func VerifiedKey(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) string {
	key, status := TSIG(ctx, w, r)
	if status != Verified {
		return ""
	}
	return key
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
