package client

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

func TestAddrUnmaps(t *testing.T) {
	w := &test.ResponseWriter{RemoteIP: "::ffff:192.0.2.7"}
	got, ok := Addr(w)
	if !ok || got != netip.MustParseAddr("192.0.2.7") {
		t.Fatalf("Addr = %v, %v; want 192.0.2.7, true", got, ok)
	}
	w6 := &test.ResponseWriter6{}
	if got, ok := Addr(w6); !ok || !got.Is6() {
		t.Fatalf("Addr(v6) = %v, %v", got, ok)
	}
	var _ net.Addr = w.RemoteAddr()
}

func TestInternal(t *testing.T) {
	ctx := context.WithValue(context.Background(), dnsserver.LoopKey{}, 0)
	if Internal(ctx) {
		t.Error("a client's own query (LoopKey 0) reported internal")
	}
	if !Internal(context.WithValue(ctx, dnsserver.LoopKey{}, 1)) {
		t.Error("a re-entered query (LoopKey 1) not reported internal")
	}
	if Internal(context.Background()) {
		t.Error("a context without LoopKey reported internal")
	}
}

func TestRecursion(t *testing.T) {
	if _, decided := Recursion(context.Background()); decided {
		t.Error("decided without recursionacl")
	}
	for _, want := range []bool{true, false} {
		allowed, decided := Recursion(WithRecursion(context.Background(), want))
		if !decided || allowed != want {
			t.Errorf("Recursion = %v, %v; want %v, true", allowed, decided, want)
		}
	}
}

// TestAddrPort: the address forms a dns.ResponseWriter may give (moved here
// from chaosmask's private copy).
func TestAddrPort(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.UDPAddr{IP: net.ParseIP("192.0.2.1"), Port: 53}, "192.0.2.1:53"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 53}, "[2001:db8::1]:53"},
		{&net.UDPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 5353}, "192.0.2.1:5353"},
		{(*net.UDPAddr)(nil), "invalid AddrPort"},
		{(*net.TCPAddr)(nil), "invalid AddrPort"},
		{nil, "invalid AddrPort"},
		{&net.UnixAddr{Name: "/run/dns.sock", Net: "unix"}, "invalid AddrPort"},
		{&net.IPAddr{IP: net.ParseIP("192.0.2.9")}, "invalid AddrPort"}, // no port: ParseAddrPort fails
	} {
		if got := AddrPort(tc.addr).String(); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestTSIG(t *testing.T) {
	signed := new(dns.Msg).SetQuestion("example.org.", dns.TypeA)
	signed.SetTsig("k1.", dns.HmacSHA256, 300, 0)
	withKeys := context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{TsigSecret: map[string]string{"k1.": "c2VjcmV0"}})
	noKeys := context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{TsigSecret: map[string]string{}})
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		r      *dns.Msg
		err    error
		key    string
		status TSIGStatus
	}{
		{"unsigned", withKeys, new(dns.Msg).SetQuestion("example.org.", dns.TypeA), nil, "", Unsigned},
		{"verified", withKeys, signed, nil, "k1.", Verified},
		{"bad signature", withKeys, signed, dns.ErrSig, "k1.", Failed},
		{"unknown key", withKeys, signed, dns.ErrSecret, "k1.", Failed},
		{"server without keys", noKeys, signed, nil, "k1.", Unchecked},
		{"no server in the context", context.Background(), signed, nil, "k1.", Unchecked},
	} {
		w := &statusWriter{status: tc.err}
		key, status := TSIG(tc.ctx, w, tc.r)
		if key != tc.key || status != tc.status {
			t.Errorf("%s: TSIG = %q, %d; want %q, %d", tc.name, key, status, tc.key, tc.status)
		}
		wantVerified := ""
		if tc.status == Verified {
			wantVerified = tc.key
		}
		if got := VerifiedKey(tc.ctx, w, tc.r); got != wantVerified {
			t.Errorf("%s: VerifiedKey = %q, want %q", tc.name, got, wantVerified)
		}
	}
}

type statusWriter struct {
	test.ResponseWriter
	status error
}

func (w *statusWriter) TsigStatus() error { return w.status }
