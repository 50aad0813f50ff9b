package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/miekg/dns"
)

// seed is the generators' fixed seed: the same flags give the same files.
const seed = 2317

func newRand(salt uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, salt)) }

// hostName is the i-th name of a zone written by zone (h00000, h00001, …).
// Names from -names on do not exist: the query files ask for them to get
// NXDOMAIN.
func hostName(i int) string { return fmt.Sprintf("h%05d", i) }

// writeFile writes path ("-" is stdout) through a buffer, reporting the
// first error of writing, flushing or closing.
func writeFile(path string, fill func(w *bufio.Writer) error) error {
	f, err := create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = fill(w)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if f != nil && path != "-" {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func cmdZone(fs *flag.FlagSet, args []string) error {
	origin := fs.String("origin", "bench.test.", "zone apex")
	names := fs.Int("names", 10000, "number of names, each with an A and an AAAA record")
	ns := fs.String("ns", "127.0.0.1", "address of the zone's name servers ns1 and ns2 (their glue)")
	out := fs.String("o", "-", "output file")
	fs.Parse(args)
	if *names < 1 || *names > 1<<20 {
		return errors.New("-names must be between 1 and 1048576")
	}
	if _, ok := dns.IsDomainName(*origin); !ok {
		return fmt.Errorf("-origin %q is not a domain name", *origin)
	}
	return writeFile(*out, func(w *bufio.Writer) error {
		fmt.Fprintf(w, "$ORIGIN %s\n$TTL 3600\n", dns.Fqdn(*origin))
		fmt.Fprintf(w, "@ IN SOA ns1 hostmaster 2026112101 3600 900 604800 300\n")
		fmt.Fprintf(w, "@ IN NS ns1\n@ IN NS ns2\nns1 IN A %s\nns2 IN A %s\n", *ns, *ns)
		for i := range *names {
			// Addresses of documentation and unique-local space: data
			// only, nothing ever sends a packet to them.
			fmt.Fprintf(w, "%s IN A 10.%d.%d.%d\n", hostName(i), i>>16, i>>8&0xff, i&0xff)
			fmt.Fprintf(w, "%s IN AAAA fd00:2317::%x\n", hostName(i), i)
		}
		return nil
	})
}

func cmdQueries(fs *flag.FlagSet, args []string) error {
	origin := fs.String("origin", "bench.test.", "zone apex")
	names := fs.Int("names", 10000, "number of names in the zone")
	nx := fs.Float64("nx", 0.10, "fraction of queries for names that do not exist (NXDOMAIN)")
	aaaa := fs.Float64("aaaa", 0.25, "fraction of the other queries asking AAAA instead of A")
	count := fs.Int("count", 100000, "number of queries (dnsperf loops over the file)")
	all := fs.Bool("all", false, "instead, ask every name and type the random files can ask, once (fills a cache)")
	out := fs.String("o", "-", "output file")
	fs.Parse(args)
	if *names < 1 || *count < 1 || *nx < 0 || *nx > 1 || *aaaa < 0 || *aaaa > 1 {
		return errors.New("want -names ≥ 1, -count ≥ 1, and fractions between 0 and 1")
	}
	apex := strings.TrimSuffix(dns.Fqdn(*origin), ".")
	if *all {
		return writeFile(*out, func(w *bufio.Writer) error {
			for i := range *names {
				fmt.Fprintf(w, "%s.%s A\n%s.%s AAAA\n", hostName(i), apex, hostName(i), apex)
				fmt.Fprintf(w, "%s.%s A\n", hostName(*names+i), apex)
			}
			return nil
		})
	}
	r := newRand(1)
	return writeFile(*out, func(w *bufio.Writer) error {
		for range *count {
			switch {
			case r.Float64() < *nx:
				fmt.Fprintf(w, "%s.%s A\n", hostName(*names+r.IntN(*names)), apex)
			case r.Float64() < *aaaa:
				fmt.Fprintf(w, "%s.%s AAAA\n", hostName(r.IntN(*names)), apex)
			default:
				fmt.Fprintf(w, "%s.%s A\n", hostName(r.IntN(*names)), apex)
			}
		}
		return nil
	})
}
