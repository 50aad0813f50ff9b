package stubzones

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// serveNotify handles a NOTIFY for z as BIND does: apex SOA only (else
// NOTAUTH), from a primary, verified if signed; it refreshes unless the serial is not newer.
func (s *Stubzones) serveNotify(ctx context.Context, state request.Request, z *zone) (int, error) {
	q := state.Req.Question[0]
	if q.Qtype != dns.TypeSOA || !strings.EqualFold(q.Name, z.name) {
		return s.notifyReply(state, dns.RcodeNotAuth)
	}
	server := serverOf(ctx)
	ip, _ := netip.ParseAddr(state.IP())
	if !z.opts.isPrimary(ip) {
		notifyCount.WithLabelValues(server, z.name, "refused").Inc()
		log.Warningf("Zone %s: refused NOTIFY from %s, which is not a primary", z.name, state.IP())
		return s.notifyReply(state, dns.RcodeRefused)
	}
	if state.Req.IsTsig() != nil && state.W.TsigStatus() != nil {
		notifyCount.WithLabelValues(server, z.name, "refused").Inc()
		log.Warningf("Zone %s: refused NOTIFY from %s: TSIG: %v", z.name, state.IP(), state.W.TsigStatus())
		return s.notifyReply(state, dns.RcodeNotAuth)
	}
	notifyCount.WithLabelValues(server, z.name, "accepted").Inc()

	if serial, ok := notifiedSerial(state.Req, z.name); ok {
		if d := z.usable(s.clock.Now()); d != nil && !serialGreater(serial, d.soa.Serial) {
			log.Debugf("Zone %s: NOTIFY from %s for serial %d; ours is %d: up to date", z.name, state.IP(), serial, d.soa.Serial)
			return s.notifyReply(state, dns.RcodeSuccess)
		}
	}
	log.Infof("Zone %s: NOTIFY from %s; refreshing", z.name, state.IP())
	z.notify()
	return s.notifyReply(state, dns.RcodeSuccess)
}

// notifiedSerial is the serial of the SOA in a NOTIFY's answer section, if any.
func notifiedSerial(r *dns.Msg, zone string) (uint32, bool) {
	for _, rr := range r.Answer {
		if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, zone) {
			return soa.Serial, true
		}
	}
	return 0, false
}

// notifyReply echoes the question with AA, signed when the request was verified.
func (s *Stubzones) notifyReply(state request.Request, rcode int) (int, error) {
	m := new(dns.Msg)
	m.SetRcode(state.Req, rcode)
	m.Authoritative = rcode == dns.RcodeSuccess
	if t := state.Req.IsTsig(); t != nil && state.W.TsigStatus() == nil {
		m.SetTsig(t.Hdr.Name, t.Algorithm, tsigFudge, time.Now().Unix())
	}
	state.W.WriteMsg(m)
	return dns.RcodeSuccess, nil
}
