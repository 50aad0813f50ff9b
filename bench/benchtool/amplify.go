package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/miekg/dns"
)

// amplifyResult is what amplify writes (-o): what a reflection attacker
// gets out of a server, measured where the replies arrive (the victim, whose
// address the queries carry).
type amplifyResult struct {
	Variant       string  `json:"variant,omitempty"`
	Server        string  `json:"server"`
	Victim        string  `json:"victim"`
	Query         string  `json:"query"`
	QPS           int     `json:"qps"`
	Queries       int     `json:"queries"`
	BytesSent     int     `json:"bytes_sent"`
	Replies       int     `json:"replies"`
	Truncated     int     `json:"truncated"`
	BytesReceived int     `json:"bytes_received"`
	Amplification float64 `json:"amplification"` // bytes received / bytes sent
	Seconds       float64 `json:"seconds"`
}

// cmdAmplify plays a reflection attack on loopback: it sends -qps queries a
// second for -seconds, all from the victim's address -victim (a spoofed
// source: one socket, IP_PKTINFO), for one name and type with a large
// answer, and counts what the victim receives. The amplification is bytes
// received over bytes sent; with rate limiting most queries get no reply or
// a truncated one as small as the query.
func cmdAmplify(fs *flag.FlagSet, args []string) error {
	server := fs.String("server", "127.0.0.1:53", "server address")
	victim := fs.String("victim", "127.0.77.1", "spoofed source address (127.0.0.0/8)")
	name := fs.String("name", "big.amp.test.", "name asked")
	qtype := fs.String("type", "TXT", "type asked")
	qps := fs.Int("qps", 1000, "queries per second")
	secs := fs.Float64("seconds", 3, "duration")
	variant := fs.String("variant", "", "label for the report")
	out := fs.String("o", "-", "result file (JSON)")
	fs.Parse(args)

	dst, err := netip.ParseAddrPort(*server)
	if err != nil {
		return fmt.Errorf("-server: %v", err)
	}
	src, err := netip.ParseAddr(*victim)
	if err != nil || !src.Is4() || !netip.MustParsePrefix("127.0.0.0/8").Contains(src) {
		return fmt.Errorf("-victim %q: want an address of 127.0.0.0/8", *victim)
	}
	t, ok := dns.StringToType[*qtype]
	if !ok {
		return fmt.Errorf("-type %q: unknown type", *qtype)
	}
	if *qps < 1 || *qps > 100000 || *secs <= 0 || *secs > 60 {
		return errors.New("want 1 ≤ -qps ≤ 100000 and 0 < -seconds ≤ 60")
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(*name), t)
	m.RecursionDesired = false
	m.SetEdns0(4096, false) // what an attacker sends: room for the largest answer
	q, err := m.Pack()
	if err != nil {
		return err
	}

	conn, err := listenAnySource()
	if err != nil {
		return err
	}
	defer conn.Close()
	res := &amplifyResult{Variant: *variant, Server: *server, Victim: *victim, Query: dns.Fqdn(*name) + " " + *qtype, QPS: *qps}

	done := make(chan struct{})
	go func() { // the victim's side
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			res.Replies++
			res.BytesReceived += n
			if buf[2]&0x02 != 0 {
				res.Truncated++
			}
		}
	}()

	total := int(float64(*qps) * *secs)
	start := time.Now()
	const tick = 10 * time.Millisecond
	for sent := 0; sent < total; {
		due := min(total, int(time.Since(start).Seconds()*float64(*qps))+1)
		for ; sent < due; sent++ {
			binary.BigEndian.PutUint16(q, uint16(sent))
			if err := conn.sendFrom(q, src, dst); err != nil {
				return fmt.Errorf("sending from %s: %w", src, err)
			}
			res.Queries++
			res.BytesSent += len(q)
		}
		time.Sleep(tick)
	}
	res.Seconds = time.Since(start).Seconds()
	time.Sleep(time.Second) // the last replies
	conn.SetReadDeadline(time.Now())
	<-done
	if res.BytesSent > 0 {
		res.Amplification = float64(res.BytesReceived) / float64(res.BytesSent)
	}

	if err := writeJSON(*out, res); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "amplify: %d queries (%d bytes) from %s, %d replies (%d truncated, %d bytes): amplification %.2f\n",
		res.Queries, res.BytesSent, *victim, res.Replies, res.Truncated, res.BytesReceived, res.Amplification)
	return nil
}
