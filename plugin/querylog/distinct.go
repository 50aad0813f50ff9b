package querylog

import (
	"encoding/binary"
	"math"
	"math/bits"
	"net/netip"
)

// distinct counts distinct clients in fixed memory: exactly up to exactLimit,
// then by HyperLogLog (standard error 1.04/sqrt(registers)).
type distinct struct {
	exact    [exactLimit]uint64 // hashes of the first clients
	n        int                // clients in exact; exactLimit+1 once it overflowed
	register []uint8
}

const exactLimit = 16

func newDistinct(registers int) distinct {
	return distinct{register: make([]uint8, registers)}
}

// add counts a client by its hash (see hashAddr).
func (d *distinct) add(h uint64) {
	// HyperLogLog: the top bits choose a register, which keeps the longest
	// run of leading zeros seen in the rest.
	p := bits.TrailingZeros(uint(len(d.register)))
	r := &d.register[h>>(64-p)]
	if z := uint8(bits.LeadingZeros64(h<<p|1<<(p-1)) + 1); z > *r {
		*r = z
	}
	if d.n > exactLimit {
		return
	}
	for _, x := range d.exact[:d.n] {
		if x == h {
			return
		}
	}
	if d.n < exactLimit {
		d.exact[d.n] = h
	}
	d.n++
}

// count returns the distinct clients: exact up to exactLimit, estimated beyond.
func (d *distinct) count() uint64 {
	if d.n <= exactLimit {
		return uint64(d.n)
	}
	m := float64(len(d.register))
	sum, zeros := 0.0, 0
	for _, r := range d.register {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros)) // linear counting for small sets
	}
	return max(uint64(math.Round(est)), exactLimit+1)
}

func (d *distinct) reset() {
	d.n = 0
	clear(d.register)
}

// hashAddr hashes a client address with a per-table seed, so that clients
// choosing their addresses cannot aim at the same register.
func hashAddr(a netip.Addr, seed uint64) uint64 {
	b := a.As16()
	hi := binary.LittleEndian.Uint64(b[:8])
	lo := binary.LittleEndian.Uint64(b[8:])
	return mix(mix(hi^seed) ^ lo)
}

// mix is SplitMix64's finalizer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
