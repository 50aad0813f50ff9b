package main

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// anySourceConn is a UDP socket bound to the wildcard address that sends
// each datagram from a source address of its choice (IP_PKTINFO's
// ipi_spec_dst) and receives the replies to all of them. The kernel takes
// any address it routes locally, so every address of 127.0.0.0/8 works
// without configuring one.
type anySourceConn struct {
	*net.UDPConn
	oob []byte
	pi  *syscall.Inet4Pktinfo
}

func listenAnySource() (*anySourceConn, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		return nil, err
	}
	c.SetReadBuffer(4 << 20)
	c.SetWriteBuffer(4 << 20)
	oob := make([]byte, syscall.CmsgSpace(syscall.SizeofInet4Pktinfo))
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level = syscall.IPPROTO_IP
	h.Type = syscall.IP_PKTINFO
	h.SetLen(syscall.CmsgLen(syscall.SizeofInet4Pktinfo))
	pi := (*syscall.Inet4Pktinfo)(unsafe.Pointer(&oob[syscall.CmsgLen(0)]))
	return &anySourceConn{UDPConn: c, oob: oob, pi: pi}, nil
}

// sendFrom sends b to dst from src.
func (c *anySourceConn) sendFrom(b []byte, src netip.Addr, dst netip.AddrPort) error {
	c.pi.Spec_dst = src.As4()
	_, _, err := c.WriteMsgUDPAddrPort(b, c.oob, dst)
	return err
}
