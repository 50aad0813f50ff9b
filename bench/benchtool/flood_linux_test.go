package main

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestSendFrom: one socket sends from several 127.0.0.0/8 addresses that no
// interface holds, and gets the replies to each.
func TestSendFrom(t *testing.T) {
	srv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dst := srv.LocalAddr().(*net.UDPAddr).AddrPort()

	c, err := listenAnySource()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	srv.SetDeadline(deadline)
	c.SetDeadline(deadline)

	for _, src := range []netip.Addr{clientAddr(0), clientAddr(999999), heavyAddr(3)} {
		if err := c.sendFrom([]byte("ping"), src, dst); err != nil {
			t.Fatalf("sending from %s: %v", src, err)
		}
		buf := make([]byte, 16)
		n, from, err := srv.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if from.Addr() != src || string(buf[:n]) != "ping" {
			t.Fatalf("server got %q from %s, want \"ping\" from %s", buf[:n], from, src)
		}
		if _, err := srv.WriteToUDPAddrPort([]byte("pong"), from); err != nil {
			t.Fatal(err)
		}
		if n, err = c.Read(buf); err != nil || string(buf[:n]) != "pong" {
			t.Fatalf("reply to %s: %q, %v", src, buf[:n], err)
		}
	}
	if got := clientAddr(999999).String(); got != "127.16.66.63" {
		t.Errorf("clientAddr(999999) = %s, want 127.16.66.63", got)
	}
}
