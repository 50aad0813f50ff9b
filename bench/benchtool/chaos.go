package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"

	"github.com/miekg/dns"
)

// chaosMix is what a fingerprinting scan asks, in proportion.
var chaosMix = []struct {
	name   string
	weight int
}{
	{"version.bind.", 4},
	{"hostname.bind.", 2},
	{"id.server.", 2},
	{"version.server.", 1},
	{"authors.bind.", 1},
}

// cmdChaos writes CH TXT queries in dnsperf's binary input format (-B): each
// message preceded by its length in two bytes, as on a TCP stream. dnsperf's
// text format has no class, so this is the only way to load CH.
func cmdChaos(fs *flag.FlagSet, args []string) error {
	count := fs.Int("count", 1000, "number of queries")
	out := fs.String("o", "-", "output file")
	fs.Parse(args)
	if *count < 1 {
		return errors.New("-count must be at least 1")
	}
	var names []string
	for _, m := range chaosMix {
		for range m.weight {
			names = append(names, m.name)
		}
	}
	r := newRand(3)
	return writeFile(*out, func(w *bufio.Writer) error {
		for i := range *count {
			m := new(dns.Msg)
			m.SetQuestion(names[r.IntN(len(names))], dns.TypeTXT)
			m.Question[0].Qclass = dns.ClassCHAOS
			m.Id = uint16(i)
			wire, err := m.Pack()
			if err != nil {
				return err
			}
			w.Write(binary.BigEndian.AppendUint16(nil, uint16(len(wire))))
			w.Write(wire)
		}
		return nil
	})
}
