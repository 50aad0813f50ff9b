package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net/netip"
)

// cmdPrefixes writes an allow list as an ISP's allow-recursion list looks:
// customer prefixes of many lengths, four in five IPv4 and one in five IPv6,
// distinct and never overlapping the loopback network, then -last, the
// prefix that holds the load's clients. Last is the worst place for a list
// scanned in order; a trie does not care.
func cmdPrefixes(fs *flag.FlagSet, args []string) error {
	count := fs.Int("count", 100000, "number of prefixes, -last included")
	last := fs.String("last", "127.0.0.0/8", "the final prefix, which holds the load's clients")
	out := fs.String("o", "-", "output file")
	fs.Parse(args)
	lastP, err := netip.ParsePrefix(*last)
	if err != nil {
		return fmt.Errorf("-last: %v", err)
	}
	if *count < 1 || *count > 1<<22 {
		return errors.New("-count must be between 1 and 4194304")
	}
	r := newRand(2)
	seen := make(map[netip.Prefix]bool, *count)
	return writeFile(*out, func(w *bufio.Writer) error {
		for len(seen) < *count-1 {
			var p netip.Prefix
			if r.IntN(5) > 0 {
				// 1.0.0.0–126.255.255.255 and 128.0.0.0–223.255.255.255:
				// unicast, never loopback.
				a := r.Uint32()
				first := byte(1 + r.IntN(222))
				if first >= 127 {
					first++
				}
				ip := netip.AddrFrom4([4]byte{first, byte(a >> 16), byte(a >> 8), byte(a)})
				p = netip.PrefixFrom(ip, 16+r.IntN(17)).Masked() // /16–/32
			} else {
				var b [16]byte
				b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8 // 2001:db8::/32
				for i := 4; i < 8; i++ {
					b[i] = byte(r.Uint32())
				}
				p = netip.PrefixFrom(netip.AddrFrom16(b), 40+r.IntN(25)).Masked() // /40–/64
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			fmt.Fprintln(w, p)
		}
		fmt.Fprintln(w, lastP.Masked())
		return nil
	})
}
