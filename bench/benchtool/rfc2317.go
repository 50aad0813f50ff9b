package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
)

// rfc2317Blocks is how each /24 of the parent zone is cut into customer
// blocks: first address and prefix length, covering all 256 addresses with
// every size from /26 to /29.
var rfc2317Blocks = []struct{ first, bits int }{
	{0, 26}, {64, 27}, {96, 27}, {128, 28}, {144, 28},
	{160, 29}, {168, 29}, {176, 29}, {184, 29}, {192, 26},
}

// rfc2317Zone is the parent zone: 10.0.0.0/16, of which the first -nets
// /24s are delegated block by block.
const rfc2317Zone = "0.10.in-addr.arpa."

// cmdRFC2317 writes, into -dir, the parent zone twice — rfc2317-parent.zone
// with only its apex records (rfc2317 synthesizes the rest) and
// rfc2317-written.zone with every CNAME and NS record rfc2317 would
// synthesize written out, as an operator without rfc2317 writes them — plus
// rfc2317-delegate.conf, the delegate lines of the rfc2317 block, and
// rfc2317.queries, PTR queries for every delegated address.
func cmdRFC2317(fs *flag.FlagSet, args []string) error {
	nets := fs.Int("nets", 40, "number of /24s of 10.0.0.0/16 cut into delegated blocks")
	count := fs.Int("count", 100000, "number of queries")
	dir := fs.String("dir", ".", "output directory")
	fs.Parse(args)
	if *nets < 1 || *nets > 256 || *count < 1 {
		return errors.New("want -nets between 1 and 256 and -count ≥ 1")
	}

	type block struct {
		net, first, bits, customer int
	}
	var blocks []block
	for n := range *nets {
		for _, b := range rfc2317Blocks {
			blocks = append(blocks, block{n, b.first, b.bits, len(blocks)})
		}
	}
	label := func(b block) string { return fmt.Sprintf("%d/%d", b.first, b.bits) }
	size := func(b block) int { return 1 << (32 - b.bits) }

	apex := func(w *bufio.Writer) {
		fmt.Fprintf(w, "$ORIGIN %s\n$TTL 3600\n", rfc2317Zone)
		fmt.Fprintf(w, "@ IN SOA ns1.bench.test. hostmaster.bench.test. 2026112101 3600 900 604800 3600\n")
		fmt.Fprintf(w, "@ IN NS ns1.bench.test.\n@ IN NS ns2.bench.test.\n")
	}
	err := writeFile(filepath.Join(*dir, "rfc2317-parent.zone"), func(w *bufio.Writer) error {
		apex(w)
		return nil
	})
	if err != nil {
		return err
	}
	err = writeFile(filepath.Join(*dir, "rfc2317-written.zone"), func(w *bufio.Writer) error {
		apex(w)
		for _, b := range blocks {
			child := fmt.Sprintf("%s.%d", label(b), b.net)
			fmt.Fprintf(w, "%s IN NS ns1.cust%d.test.\n%s IN NS ns2.cust%d.test.\n", child, b.customer, child, b.customer)
			for a := b.first; a < b.first+size(b); a++ {
				fmt.Fprintf(w, "%d.%d IN CNAME %d.%s\n", a, b.net, a, child)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = writeFile(filepath.Join(*dir, "rfc2317-delegate.conf"), func(w *bufio.Writer) error {
		for _, b := range blocks {
			fmt.Fprintf(w, "        delegate 10.0.%d.%d/%d ns1.cust%d.test. ns2.cust%d.test.\n",
				b.net, b.first, b.bits, b.customer, b.customer)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r := newRand(4)
	return writeFile(filepath.Join(*dir, "rfc2317.queries"), func(w *bufio.Writer) error {
		for range *count {
			fmt.Fprintf(w, "%d.%d.0.10.in-addr.arpa PTR\n", r.IntN(256), r.IntN(*nets))
		}
		return nil
	})
}
