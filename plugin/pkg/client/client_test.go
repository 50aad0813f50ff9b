package client

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/test"
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
