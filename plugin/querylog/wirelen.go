package querylog

import (
	"strings"

	"github.com/miekg/dns"
)

// wireLen returns m.Len(), the size of m on the wire, without allocating.
//
// (*dns.Msg).Len allocates a compression map (and grows it) for every
// compressible message, and packs each EDNS option (a cookie allocates) to
// measure it; on the query path that would cost more allocations than the
// whole plugin is allowed. wireLen replays Len's compression
// bookkeeping with a small fixed table of name suffixes instead, for the
// record types it knows; for the rare message it does not (an RR type with
// names at variable offsets, or more names than the table holds) it falls
// back to m.Len().
//
// Why it is kept (issue 15's rule: a hand-written library function must buy
// at least 1% of whole-server throughput), from one run of ./build.sh bench
// (bench/RESULTS.md, 2026-12-04): BenchmarkWireLen gives m.Len() 170 ns and
// 2 allocations (256 B) for a compressed one-answer reply with EDNS, and
// wireLen 51 ns and none; in the same run a query through querylog cost the
// server 21.1 µs of CPU (scenario 2). Every logged query measures one reply,
// so wireLen saves 0.6% of a query's CPU and 256 B of garbage, which the
// collector pays for again: about the 1% bar, and kept for that. For the
// query itself the two are even (m.Len 32 ns with one 8-byte allocation,
// wireLen 14 ns), so the query's path only needs plainMsgLen, which the
// replies need anyway.
func wireLen(m *dns.Msg) int {
	// Len compresses only when asked to and when there is something to
	// compress. Queries never are: their path stays free of the table.
	if !m.Compress || !(len(m.Question) > 1 || len(m.Answer) > 0 || len(m.Ns) > 0 || len(m.Extra) > 0) {
		return plainMsgLen(m)
	}
	return compressedLen(m)
}

// plainMsgLen is the length of m without compression.
func plainMsgLen(m *dns.Msg) int {
	l := 12 // header
	for _, q := range m.Question {
		l += plainLen(q.Name) + 4
	}
	for _, section := range [3][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range section {
			switch rr := rr.(type) {
			case nil:
			case *dns.OPT:
				n, ok := optLen(rr)
				if !ok {
					return m.Len()
				}
				l += plainLen(rr.Hdr.Name) + 10 + n
			default:
				l += dns.Len(rr) // allocates for OPT only
			}
		}
	}
	return l
}

// compressedLen is the length of m with compression, its table of name
// suffixes on the stack.
func compressedLen(m *dns.Msg) int {
	var c suffixes
	l := 12 // header
	for _, q := range m.Question {
		n, ok := c.nameLen(q.Name, l, true)
		if !ok {
			return m.Len()
		}
		l += n + 4
	}
	for _, section := range [3][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range section {
			if rr == nil {
				continue
			}
			n, ok := c.rrLen(rr, l)
			if !ok {
				return m.Len()
			}
			l += n
		}
	}
	return l
}

// maxCompressionOffset is the largest offset a compression pointer reaches.
const maxCompressionOffset = 2 << 13

// suffixes is the compression table: the name suffixes seen so far, as
// miekg/dns's Len keeps them in its map (exact strings, case-sensitive).
type suffixes struct {
	names [32]string // enough for a referral with glue; more falls back to Len
	n     int
}

func (c *suffixes) has(s string) bool {
	for _, x := range c.names[:c.n] {
		if x == s {
			return true
		}
	}
	return false
}

// nameLen is miekg/dns's domainNameLen with a compression map: the length
// of name at offset off, compressed when compress is set and a suffix was
// seen before; suffixes at offsets a pointer can reach are remembered. ok is
// false when the table is full.
func (c *suffixes) nameLen(name string, off int, compress bool) (int, bool) {
	if name == "" || name == "." {
		return 1, true
	}
	escaped := strings.Contains(name, `\`)
	if compress || off < maxCompressionOffset {
		for i, end := 0, false; !end; i, end = dns.NextLabel(name, i) {
			if c.has(name[i:]) {
				if !compress {
					break
				}
				if escaped {
					return escapedLen(name[:i]) + 2, true
				}
				return i + 2, true
			}
			if off+i < maxCompressionOffset {
				if c.n == len(c.names) {
					return 0, false
				}
				c.names[c.n] = name[i:]
				c.n++
			}
		}
	}
	if escaped {
		return escapedLen(name) + 1, true
	}
	return len(name) + 1, true
}

// escapedLen is the wire length of the labels of s, whose escapes (\DDD,
// \X) stand for one byte each.
func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			n -= 3
			i += 3
		} else {
			n--
			i++
		}
	}
	return n
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// plainLen is the uncompressed wire length of a name.
func plainLen(name string) int {
	switch {
	case name == "" || name == ".":
		return 1
	case strings.Contains(name, `\`):
		return escapedLen(name) + 1
	}
	return len(name) + 1
}

// rrLen is rr's length at offset off, with compression.
func (c *suffixes) rrLen(rr dns.RR, off int) (int, bool) {
	h := rr.Header()
	owner, ok := c.nameLen(h.Name, off, true)
	if !ok {
		return 0, false
	}
	if opt, ok := rr.(*dns.OPT); ok {
		if n, ok := optLen(opt); ok {
			return owner + 10 + n, true
		}
	}
	// rdata's uncompressed length: the RR's uncompressed length less its
	// uncompressed header.
	rdata := dns.Len(rr) - plainLen(h.Name) - 10
	at := off + owner + 10 // where rdata starts
	// Names in rdata, at fixed offsets: compressible ones shrink; the others
	// keep their length but enter the table, as in miekg/dns.
	var (
		names    [2]string
		lead     int  // bytes before the first name
		compress bool // names are compressible (RFC 3597's well-known types)
	)
	switch rr := rr.(type) {
	case *dns.NS:
		names[0], compress = rr.Ns, true
	case *dns.CNAME:
		names[0], compress = rr.Target, true
	case *dns.PTR:
		names[0], compress = rr.Ptr, true
	case *dns.MX:
		lead, names[0], compress = 2, rr.Mx, true
	case *dns.SOA:
		names[0], names[1], compress = rr.Ns, rr.Mbox, true
	case *dns.MB:
		names[0], compress = rr.Mb, true
	case *dns.MD:
		names[0], compress = rr.Md, true
	case *dns.MF:
		names[0], compress = rr.Mf, true
	case *dns.MG:
		names[0], compress = rr.Mg, true
	case *dns.MR:
		names[0], compress = rr.Mr, true
	case *dns.MINFO:
		names[0], names[1], compress = rr.Rmail, rr.Email, true
	case *dns.DNAME:
		names[0] = rr.Target
	case *dns.NSEC:
		names[0] = rr.NextDomain
	case *dns.SRV:
		lead, names[0] = 6, rr.Target
	case *dns.RRSIG:
		lead, names[0] = 18, rr.SignerName
	case *dns.SVCB:
		lead, names[0] = 2, rr.Target
	case *dns.HTTPS:
		lead, names[0] = 2, rr.Target
	case *dns.TSIG:
		names[0] = rr.Algorithm
	case *dns.TKEY:
		names[0] = rr.Algorithm
	case *dns.AFSDB:
		lead, names[0] = 2, rr.Hostname
	case *dns.KX:
		lead, names[0] = 2, rr.Exchanger
	case *dns.RT:
		lead, names[0] = 2, rr.Host
	case *dns.LP:
		lead, names[0] = 2, rr.Fqdn
	case *dns.NSAPPTR:
		names[0] = rr.Ptr
	case *dns.RP:
		names[0], names[1] = rr.Mbox, rr.Txt
	case *dns.PX:
		lead, names[0], names[1] = 2, rr.Map822, rr.Mapx400
	case *dns.TALINK:
		names[0], names[1] = rr.PreviousName, rr.NextName
	case *dns.NAPTR, *dns.HIP:
		return 0, false // names after variable-length fields
	default:
		// No names in rdata (A, AAAA, TXT, OPT, DS, DNSKEY, NSEC3, CAA, ...).
		return owner + 10 + rdata, true
	}
	count := 1
	switch rr.(type) {
	case *dns.SOA, *dns.MINFO, *dns.RP, *dns.PX, *dns.TALINK:
		count = 2
	}
	at += lead
	for _, name := range names[:count] {
		n, ok := c.nameLen(name, at, compress)
		if !ok {
			return 0, false
		}
		rdata -= plainLen(name) - n
		at += n
	}
	return owner + 10 + rdata, true
}

// optLen is the rdata length of an OPT record. dns.Len packs each option
// to measure it, which allocates for the cookie most queries carry; the
// common options are measured here instead. ok is false for others.
func optLen(opt *dns.OPT) (int, bool) {
	n := 0
	for _, o := range opt.Option {
		n += 4 // code and length
		switch o := o.(type) {
		case *dns.EDNS0_COOKIE:
			n += len(o.Cookie) / 2 // hex
		case *dns.EDNS0_NSID:
			n += len(o.Nsid) / 2 // hex
		case *dns.EDNS0_PADDING:
			n += len(o.Padding)
		case *dns.EDNS0_LOCAL:
			n += len(o.Data)
		case *dns.EDNS0_EDE:
			n += 2 + len(o.ExtraText)
		case *dns.EDNS0_SUBNET:
			n += 4
			if o.Family != 0 {
				n += int(o.SourceNetmask+7) / 8
			}
		case *dns.EDNS0_EXPIRE:
			if !o.Empty {
				n += 4
			}
		case *dns.EDNS0_TCP_KEEPALIVE:
			if o.Timeout > 0 {
				n += 2
			}
		default:
			return 0, false
		}
	}
	return n, true
}
