package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/miekg/dns"
)

// reply is what one server did with one query.
type reply struct {
	msg     *dns.Msg
	err     error // no reply: why
	timeout bool  // ... because every try timed out
}

func (r reply) String() string {
	switch {
	case r.msg != nil:
		return describe(r.msg)
	case r.timeout:
		return "no reply (timeout)"
	}
	return "no reply (" + r.err.Error() + ")"
}

// asker sends queries to one server.
type asker struct {
	server  netip.AddrPort
	timeout time.Duration
	retries int
	tcp     bool // every query over TCP
}

// ask sends q from the local address from (invalid = the kernel's choice)
// over UDP, or TCP if q was logged over TCP or -tcp is set; a timeout is
// retried. The reply must match the question (miekg/dns checks the ID).
func (a *asker) ask(ctx context.Context, q Query, from netip.Addr) reply {
	network := "udp"
	if a.tcp || q.TCP {
		network = "tcp"
	}
	d := &net.Dialer{Timeout: a.timeout}
	if from.IsValid() {
		if network == "tcp" {
			d.LocalAddr = &net.TCPAddr{IP: from.AsSlice(), Zone: from.Zone()}
		} else {
			d.LocalAddr = &net.UDPAddr{IP: from.AsSlice(), Zone: from.Zone()}
		}
	}
	c := &dns.Client{Net: network, Timeout: a.timeout, Dialer: d, UDPSize: 65535}
	var r reply
	for try := 0; try <= a.retries; try++ {
		if ctx.Err() != nil {
			return reply{err: ctx.Err()}
		}
		m, _, err := c.ExchangeContext(ctx, q.Msg(), a.server.String())
		if err == nil {
			return reply{msg: m}
		}
		r = reply{err: err, timeout: isTimeout(err)}
		if !r.timeout {
			return r
		}
	}
	return r
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
