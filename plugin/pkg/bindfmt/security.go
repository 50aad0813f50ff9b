package bindfmt

import "net/netip"

// AppendTSIGFailure appends BIND 9.18's security message for a request whose
// TSIG did not verify; rcode is BADKEY, BADSIG or BADTIME.
func AppendTSIGFailure(b []byte, id uint64, client netip.AddrPort, key string, rcode int) []byte {
	b = appendClientID(b, id, client)
	b = append(b, ": request has invalid signature: TSIG "...)
	b = AppendName(b, key)
	b = append(b, ": tsig verify failure ("...)
	b = AppendTSIGError(b, rcode)
	return append(b, ')')
}

// AppendTSIGError appends BADSIG, BADKEY, BADTIME or AppendRcode's mnemonic.
func AppendTSIGError(b []byte, rcode int) []byte {
	switch rcode {
	case 16: // shares its number with BADVERS, which AppendRcode prints
		return append(b, "BADSIG"...)
	case 17:
		return append(b, "BADKEY"...)
	case 18:
		return append(b, "BADTIME"...)
	default:
		return AppendRcode(b, rcode)
	}
}
