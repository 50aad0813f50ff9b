//go:build !linux

package main

import (
	"errors"
	"net"
	"net/netip"
)

type anySourceConn struct{ *net.UDPConn }

func listenAnySource() (*anySourceConn, error) {
	return nil, errors.New("flood needs Linux (IP_PKTINFO source addresses on loopback)")
}

func (c *anySourceConn) sendFrom([]byte, netip.Addr, netip.AddrPort) error {
	return errors.ErrUnsupported
}
