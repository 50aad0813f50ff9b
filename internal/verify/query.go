package verify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// defaultBufSize is the EDNS buffer size of queries whose source does not
// say (BIND's log, plain lists, generated queries): the DNS flag day 2020
// value that dig and BIND use.
const defaultBufSize = 1232

// Query is one question to ask both servers, with the header and EDNS
// properties it was logged with.
type Query struct {
	Name  string // fully qualified, presentation form (BIND's escapes)
	Type  uint16
	Class uint16

	RD, CD, DO  bool
	EDNS        bool
	EDNSVersion uint8
	BufSize     uint16 // EDNS buffer size; 0 = defaultBufSize
	TCP         bool   // logged as received over TCP

	Origin string // where it came from: FILE:LINE or "zone ORIGIN"
}

// Flags is the query's flag string in BIND's query log syntax ("+E(0)D").
func (q Query) Flags() string {
	var b strings.Builder
	if q.RD {
		b.WriteByte('+')
	} else {
		b.WriteByte('-')
	}
	if q.EDNS {
		b.WriteString("E(" + strconv.Itoa(int(q.EDNSVersion)) + ")")
	}
	if q.TCP {
		b.WriteByte('T')
	}
	if q.DO {
		b.WriteByte('D')
	}
	if q.CD {
		b.WriteByte('C')
	}
	return b.String()
}

// String is the query as BIND's log shows it: "www.example.org. IN A +E(0)".
func (q Query) String() string {
	return q.Name + " " + dns.Class(q.Class).String() + " " + dns.Type(q.Type).String() + " " + q.Flags()
}

// Msg builds the DNS message for q.
func (q Query) Msg() *dns.Msg {
	m := new(dns.Msg)
	m.Id = dns.Id()
	m.RecursionDesired = q.RD
	m.CheckingDisabled = q.CD
	m.Question = []dns.Question{{Name: q.Name, Qtype: q.Type, Qclass: q.Class}}
	if q.EDNS {
		size := q.BufSize
		if size == 0 {
			size = defaultBufSize
		}
		o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		o.SetUDPSize(size)
		o.SetVersion(q.EDNSVersion)
		o.SetDo(q.DO)
		m.Extra = append(m.Extra, o)
	}
	return m
}

// newQuery is a query for name/type/class with the flags of a plain query
// (RD, EDNS 0, as dig sends it without a cookie).
func newQuery(name string, qtype, qclass uint16, origin string) Query {
	return Query{Name: name, Type: qtype, Class: qclass, RD: true, EDNS: true, Origin: origin}
}

// parseName checks a presentation-form name (BIND's escapes) and returns it
// fully qualified.
func parseName(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty name")
	}
	name := dns.Fqdn(s)
	if _, ok := dns.IsDomainName(name); !ok {
		return "", fmt.Errorf("bad name %q", s)
	}
	buf := make([]byte, 256)
	if _, err := dns.PackDomainName(name, buf, 0, nil, false); err != nil {
		return "", fmt.Errorf("bad name %q: %v", s, err)
	}
	return name, nil
}

// parseType reads a type mnemonic or RFC 3597 TYPEnnn.
func parseType(s string) (uint16, error) {
	u := strings.ToUpper(s)
	if t, ok := dns.StringToType[u]; ok && u != "OPT" {
		return t, nil
	}
	if n, ok := strings.CutPrefix(u, "TYPE"); ok {
		if v, err := strconv.ParseUint(n, 10, 16); err == nil {
			return uint16(v), nil
		}
	}
	return 0, fmt.Errorf("unknown type %q", s)
}

// parseClass reads a class mnemonic or RFC 3597 CLASSnnn.
func parseClass(s string) (uint16, error) {
	u := strings.ToUpper(s)
	if c, ok := dns.StringToClass[u]; ok {
		return c, nil
	}
	if n, ok := strings.CutPrefix(u, "CLASS"); ok {
		if v, err := strconv.ParseUint(n, 10, 16); err == nil {
			return uint16(v), nil
		}
	}
	return 0, fmt.Errorf("unknown class %q", s)
}
