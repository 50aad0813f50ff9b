package bindfmt

import "strconv"

// Flags are the properties of a query that BIND's query log line shows. They
// fit in one byte so a log record can carry them cheaply.
type Flags uint8

// The query properties, one bit each.
const (
	RD          Flags = 1 << iota // recursion desired
	Signed                        // TSIG-signed with a valid signature
	EDNS                          // has an OPT record
	TCP                           // came over TCP (or another stream transport)
	DO                            // DNSSEC OK bit in the OPT record
	CD                            // checking disabled
	Cookie                        // carries a DNS COOKIE option
	ValidCookie                   // ... with a server cookie the server verified
)

// AppendFlags appends BIND's query flags in BIND's order: +/- (RD), S (TSIG),
// E(version), T (TCP), D (DO), C (CD), V or K (valid or other cookie).
func AppendFlags(b []byte, f Flags, ednsVersion uint8) []byte {
	if f&RD != 0 {
		b = append(b, '+')
	} else {
		b = append(b, '-')
	}
	if f&Signed != 0 {
		b = append(b, 'S')
	}
	if f&EDNS != 0 {
		b = append(b, "E("...)
		b = strconv.AppendUint(b, uint64(ednsVersion), 10)
		b = append(b, ')')
	}
	if f&TCP != 0 {
		b = append(b, 'T')
	}
	if f&DO != 0 {
		b = append(b, 'D')
	}
	if f&CD != 0 {
		b = append(b, 'C')
	}
	switch {
	case f&ValidCookie != 0:
		b = append(b, 'V')
	case f&Cookie != 0:
		b = append(b, 'K')
	}
	return b
}
