// Package client answers what several plugins ask about a query's client:
// address, internal or not, TSIG key, recursionacl's decision.
package client

import (
	"context"
	"net"
	"net/netip"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/miekg/dns"
)

// Addr returns the client's unmapped address; ok is false when there is none.
func Addr(w dns.ResponseWriter) (addr netip.Addr, ok bool) {
	ap := AddrPort(w.RemoteAddr())
	return ap.Addr(), ap.Addr().IsValid()
}

// AddrPort converts a writer's RemoteAddr or LocalAddr to an unmapped
// netip.AddrPort, without allocating for UDP and TCP; zero when it cannot tell.
func AddrPort(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort // zero from a nil *UDPAddr or *TCPAddr and on a parse error
	switch a := a.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case *net.TCPAddr:
		ap = a.AddrPort()
	case nil:
	default:
		ap, _ = netip.ParseAddrPort(a.String())
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Internal reports whether the server sent this query to itself (a CNAME
// chased through upstream.Lookup, counted in dnsserver.LoopKey): per-client
// logging and counting skip it, so one client query is one log line, as in BIND.
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
	// Unchecked: the listener holds no TSIG keys; the query is answered as unsigned.
	Unchecked
	// Failed: the signature did not verify; tsig answers NOTAUTH and BIND logs
	// only a security message, no query line.
	Failed
)

// TSIG reports the query's TSIG key name ("" when unsigned) and its status;
// only a Verified key identifies a client.
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

// VerifiedKey is r's TSIG key name if the server verified it, else "".
func VerifiedKey(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) string {
	if key, status := TSIG(ctx, w, r); status == Verified {
		return key
	}
	return ""
}

type recursionKey struct{}

// WithRecursion records recursionacl's decision (allow-recursion and
// allow-query-cache) for this query.
func WithRecursion(ctx context.Context, allowed bool) context.Context {
	return context.WithValue(ctx, recursionKey{}, allowed)
}

// Recursion returns recursionacl's decision; decided is false when none ran
// before the caller, which then behaves as without it.
func Recursion(ctx context.Context) (allowed, decided bool) {
	allowed, decided = ctx.Value(recursionKey{}).(bool)
	return allowed, decided
}
