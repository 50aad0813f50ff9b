package bindfmt

import (
	"strconv"

	"github.com/miekg/dns"
)

// AppendClass appends a class mnemonic as BIND prints it: IN, CH, HS, NONE,
// ANY, RESERVED0, or CLASSnnn for the rest (RFC 3597).
func AppendClass(b []byte, class uint16) []byte {
	switch class {
	case dns.ClassINET:
		return append(b, "IN"...)
	case dns.ClassCHAOS:
		return append(b, "CH"...)
	case dns.ClassHESIOD:
		return append(b, "HS"...)
	case dns.ClassNONE:
		return append(b, "NONE"...)
	case dns.ClassANY:
		return append(b, "ANY"...)
	case 0:
		return append(b, "RESERVED0"...)
	}
	return strconv.AppendUint(append(b, "CLASS"...), uint64(class), 10)
}

// AppendType appends BIND's type mnemonic, or TYPEnnn (RFC 3597).
func AppendType(b []byte, qtype uint16) []byte {
	switch qtype {
	case dns.TypeA:
		return append(b, 'A') // the common case, without a map lookup
	case dns.TypeNSAPPTR:
		return append(b, "NSAP-PTR"...)
	case dns.TypeNone, dns.TypeReserved:
		// miekg/dns names them "None" and "Reserved"; BIND does not.
	default:
		if s, ok := dns.TypeToString[qtype]; ok {
			return append(b, s...)
		}
	}
	return strconv.AppendUint(append(b, "TYPE"...), uint64(qtype), 10)
}

// rcodes are BIND's response code mnemonics (lib/dns/rcode.c).
var rcodes = [...]string{
	dns.RcodeSuccess:        "NOERROR",
	dns.RcodeFormatError:    "FORMERR",
	dns.RcodeServerFailure:  "SERVFAIL",
	dns.RcodeNameError:      "NXDOMAIN",
	dns.RcodeNotImplemented: "NOTIMP",
	dns.RcodeRefused:        "REFUSED",
	dns.RcodeYXDomain:       "YXDOMAIN",
	dns.RcodeYXRrset:        "YXRRSET",
	dns.RcodeNXRrset:        "NXRRSET",
	dns.RcodeNotAuth:        "NOTAUTH",
	dns.RcodeNotZone:        "NOTZONE",
	11:                      "RESERVED11",
	12:                      "RESERVED12",
	13:                      "RESERVED13",
	14:                      "RESERVED14",
	15:                      "RESERVED15",
	dns.RcodeBadVers:        "BADVERS",
}

// AppendRcode appends BIND's mnemonic of the full 12-bit rcode, or its number.
func AppendRcode(b []byte, rcode int) []byte {
	if rcode >= 0 && rcode < len(rcodes) {
		return append(b, rcodes[rcode]...)
	}
	if rcode == dns.RcodeBadCookie {
		return append(b, "BADCOOKIE"...)
	}
	return strconv.AppendInt(b, int64(rcode), 10)
}
