package querylog

import (
	"net"
	"net/netip"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/miekg/dns"
)

// record is one query's plain values, copied into the queue without allocating.
type record struct {
	time     int64 // when the query arrived, Unix nanoseconds
	duration int64 // until the response was written, nanoseconds
	id       uint64
	client   netip.AddrPort
	local    netip.AddrPort
	qname    string // as received, presentation form; "" for a TSIG failure
	key      string // TSIG key that signed the query (verified), or ""
	server   string // the listener, e.g. "dns://127.0.0.1:53"

	qtype, qclass uint16
	msgID         uint16
	flags         bindfmt.Flags
	ednsVersion   uint8
	bufsize       uint16 // EDNS UDP payload size; 512 without EDNS
	reqSize       uint16
	kind          kind
	hasECS        bool
	// The ECS option (with hasECS), as bytes: a netip.Addr (24 bytes) would grow the record.
	ecsFamily           uint16
	ecsSource, ecsScope uint8
	ecsAddr             [16]byte

	responded  bool  // a response was sent
	rcode      int32 // with extended bits
	respFlags  uint8 // respAA, respTC, ...
	answers    uint16
	authority  uint16
	additional uint16
	size       uint32 // response bytes (all messages of a zone transfer)
}

// kind is what a record reports.
type kind uint8

const (
	kindQuery       kind = iota // a client's query: a query line, counted in the statistics
	kindTSIGFailure             // a request whose TSIG did not verify: BIND's security line, rcode holds the TSIG error
)

// Response header flags kept in record.respFlags.
const (
	respAA = 1 << iota
	respTC
	respRA
	respAD
)

// fromRequest fills the request's half of the record.
func (rec *record) fromRequest(w dns.ResponseWriter, r *dns.Msg, from netip.AddrPort, key string) {
	q := r.Question[0]
	rec.client = from
	rec.local = client.AddrPort(w.LocalAddr())
	rec.qname, rec.qtype, rec.qclass = q.Name, q.Qtype, q.Qclass
	rec.msgID = r.Id
	rec.key = key
	rec.reqSize = uint16(min(requestLen(r), 65535))
	rec.bufsize = dns.MinMsgSize
	f := bindfmt.Flags(0)
	if r.RecursionDesired {
		f |= bindfmt.RD
	}
	if r.CheckingDisabled {
		f |= bindfmt.CD
	}
	if key != "" {
		f |= bindfmt.Signed
	}
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		f |= bindfmt.TCP
	}
	if opt := r.IsEdns0(); opt != nil {
		f |= bindfmt.EDNS
		rec.ednsVersion = opt.Version()
		rec.bufsize = opt.UDPSize()
		if opt.Do() {
			f |= bindfmt.DO
		}
		for _, o := range opt.Option {
			switch o := o.(type) {
			case *dns.EDNS0_COOKIE:
				// corebind issues no server cookies, so none is ever
				// verified: BIND's "K", never "V".
				f |= bindfmt.Cookie
			case *dns.EDNS0_SUBNET:
				if !rec.hasECS { // the first one; BIND refuses a second with FORMERR
					rec.setECS(o)
				}
			}
		}
	}
	rec.flags = f
}

// fromResponse adds a response message; a transfer's messages add up. The
// size is the caller's (see responseWriter.WriteMsg).
func (rec *record) fromResponse(m *dns.Msg) {
	rec.respond(m.Rcode, m.Authoritative, m.Truncated, m.RecursionAvailable, m.AuthenticatedData)
	rec.add(len(m.Answer), len(m.Ns), len(m.Extra))
}

// fromWire adds a response written as raw bytes.
func (rec *record) fromWire(b []byte) {
	if len(b) < 12 {
		return
	}
	rec.respond(int(b[3]&0xf), b[2]&0x04 != 0, b[2]&0x02 != 0, b[3]&0x80 != 0, b[3]&0x20 != 0)
	rec.add(int(b[6])<<8|int(b[7]), int(b[8])<<8|int(b[9]), int(b[10])<<8|int(b[11]))
	rec.size += uint32(len(b))
}

// respond keeps the rcode and header flags of the first response.
func (rec *record) respond(rcode int, aa, tc, ra, ad bool) {
	if rec.responded {
		return
	}
	rec.responded = true
	rec.rcode = int32(rcode)
	var f uint8
	for i, set := range [...]bool{aa, tc, ra, ad} { // in the order of respAA...
		if set {
			f |= 1 << i
		}
	}
	rec.respFlags = f
}

// add counts a response message's records.
func (rec *record) add(answers, authority, additional int) {
	rec.answers = sat16(int(rec.answers) + answers)
	rec.authority = sat16(int(rec.authority) + authority)
	rec.additional = sat16(int(rec.additional) + additional)
}

// synthesize records the reply CoreDNS writes itself for an error rcode.
func (rec *record) synthesize(r *dns.Msg, rcode int) {
	rec.responded = true
	rec.rcode = int32(rcode)
	size := 12
	for _, q := range r.Question {
		size += plainLen(q.Name) + 4
	}
	if rec.flags&bindfmt.EDNS != 0 {
		size += 11
		rec.additional = 1
	}
	rec.size = uint32(size)
}

// setECS keeps the ECS option's address as received, of its family.
func (rec *record) setECS(o *dns.EDNS0_SUBNET) {
	rec.hasECS = true
	rec.ecsFamily, rec.ecsSource, rec.ecsScope = o.Family, o.SourceNetmask, o.SourceScope
	switch o.Family {
	case 1:
		if ip4 := o.Address.To4(); ip4 != nil {
			copy(rec.ecsAddr[:4], ip4)
		}
	case 2:
		if len(o.Address) == net.IPv6len {
			copy(rec.ecsAddr[:], o.Address)
		}
	}
}

// ecs returns the query's ECS option for formatting.
func (rec *record) ecs() bindfmt.ECS {
	e := bindfmt.ECS{Family: rec.ecsFamily, Source: rec.ecsSource, Scope: rec.ecsScope}
	switch rec.ecsFamily {
	case 1:
		e.Addr = netip.AddrFrom4([4]byte(rec.ecsAddr[:4]))
	case 2:
		e.Addr = netip.AddrFrom16(rec.ecsAddr)
	}
	return e
}

func sat16(n int) uint16 { return uint16(min(n, 65535)) }
