package rrl

import (
	"context"
	"net/netip"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/miekg/dns"
)

// writer judges the first response written for a query and sends, slips or
// drops it inside WriteMsg, never holding it; later messages pass untouched.
type writer struct {
	dnsreply.Writer
	h      *RRL
	ctx    context.Context
	addr   netip.Addr
	tcp    bool
	zone   string
	judged bool
}

var _ dns.ResponseWriter = (*writer)(nil)

// WriteMsg implements dns.ResponseWriter.
func (w *writer) WriteMsg(m *dns.Msg) error {
	if w.judged {
		return w.ResponseWriter.WriteMsg(m)
	}
	w.judged = true
	switch w.h.judge(w.ctx, w.addr, w.tcp, w.zone, m) {
	case slip:
		return w.ResponseWriter.WriteMsg(slipped(m))
	case drop:
		return nil
	}
	return w.ResponseWriter.WriteMsg(m)
}

// Write implements dns.ResponseWriter for packed messages, reading them to judge.
func (w *writer) Write(b []byte) (int, error) {
	if w.judged {
		return w.ResponseWriter.Write(b)
	}
	m := new(dns.Msg)
	if m.Unpack(b) != nil {
		w.judged = true
		return w.ResponseWriter.Write(b)
	}
	if err := w.WriteMsg(m); err != nil {
		return 0, err
	}
	return len(b), nil
}
