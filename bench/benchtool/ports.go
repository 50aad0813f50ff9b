package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// Servers listen below Linux's ephemeral range (32768–60999 by default), so
// that no client socket of the benchmark — dnsperf's, or a resolver's
// upstream queries — can take a server's port between the pick and the
// server's start.
const portLow, portHigh = 20000, 32000

// cmdPorts prints -n ports free on 127.0.0.1 for both UDP and TCP, one per
// line, starting from a random point so that concurrent runs rarely meet.
func cmdPorts(fs *flag.FlagSet, args []string) error {
	n := fs.Int("n", 1, "number of ports")
	fs.Parse(args)
	if *n < 1 || *n > 1000 {
		return errors.New("-n must be between 1 and 1000")
	}
	start := portLow + rand.IntN(portHigh-portLow)
	found := 0
	for i := range portHigh - portLow {
		p := portLow + (start-portLow+i)%(portHigh-portLow)
		if free(p) {
			fmt.Println(p)
			if found++; found == *n {
				return nil
			}
		}
	}
	return fmt.Errorf("only %d free ports between %d and %d", found, portLow, portHigh)
}

func free(port int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	t, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer t.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	u.Close()
	return true
}
