package querylog

// maxSample bounds `sample N` (log one query in N).
const maxSample = 1 << 30

// sampleHash is FNV-1a over client address, port, message ID and lower-case
// qname, then SplitMix64's finalizer (the modulo reads low bits): deterministic,
// so sample M logs a subset of sample N when N divides M.
func sampleHash(rec *record) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	a := rec.client.Addr().As16()
	for _, b := range a {
		h = (h ^ uint64(b)) * prime
	}
	p := rec.client.Port()
	h = (h ^ uint64(p>>8)) * prime
	h = (h ^ uint64(p&0xff)) * prime
	h = (h ^ uint64(rec.msgID>>8)) * prime
	h = (h ^ uint64(rec.msgID&0xff)) * prime
	for i := 0; i < len(rec.qname); i++ {
		c := rec.qname[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * prime
	}
	return mix(h)
}

// sampled reports whether a query whose sampleHash is h is logged by a
// directive with sample n (0 or 1: every query).
func sampled(h uint64, n uint32) bool {
	return n <= 1 || h%uint64(n) == 0
}
