package querylog

import (
	"github.com/coredns/caddy"
)

// maxSample bounds `sample N`.
const maxSample = 1 << 30

// parseSample reads `sample N`: log one query in N.
func parseSample(c *caddy.Controller) (uint32, error) {
	n, err := intArg(c, "sample", 1, maxSample)
	return uint32(n), err
}

// sampleHash is the hash that decides whether a query is sampled: FNV-1a
// (64 bits) over the client's address (16 bytes, IPv4 mapped), its port,
// the message ID and the query name in lower case, then SplitMix64's
// finalizer (FNV's low bits, which the modulo uses, depend only on the low
// bits of the input; the finalizer spreads every bit). It is deterministic: the
// same query is in or out of the sample in every directive and every run,
// and with sample N and sample M where M is a multiple of N, what the M
// output logs the N output logs too. A client cannot aim at being left out
// without choosing its own port and ID, which it does anyway.
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
