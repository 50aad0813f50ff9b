package testkit

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BurstResult counts the replies to a UDP burst: answered (TC=0), slipped
// (TC=1: rate limiting's truncated reply) and dropped (no reply), with the
// bytes sent and received, and Seconds, the number of distinct wall-clock
// seconds the burst spanned from its first query to its last reply (rate
// limiters credit per whole second, so a burst over two seconds may get
// twice the answers).
type BurstResult struct {
	Answered, Slipped, Dropped int
	BytesOut, BytesIn          int
	Seconds                    int
	Rcodes                     map[int]int // rcode of the answered replies
	SlippedRcodes              map[int]int // rcode of the slipped replies
}

func (r BurstResult) String() string {
	return fmt.Sprintf("answered %d, slipped %d, dropped %d over %d s", r.Answered, r.Slipped, r.Dropped, r.Seconds)
}

// Burst sends msgs to addr over UDP from the local address from, as fast as
// it can from one socket, starting just after a second boundary, and waits
// for replies until wait after the last query. The messages get distinct
// IDs.
func Burst(t testing.TB, from, addr string, msgs []*dns.Msg, wait time.Duration) BurstResult {
	t.Helper()
	laddr := &net.UDPAddr{IP: net.ParseIP(from)}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", laddr, raddr)
	if err != nil {
		t.Fatalf("testkit: burst from %s: %v", from, err)
	}
	defer conn.Close()
	_ = conn.SetReadBuffer(4 << 20)

	res := BurstResult{Rcodes: map[int]int{}, SlippedRcodes: map[int]int{}}
	seen := make(map[uint16]bool, len(msgs))
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second + 20*time.Millisecond).Sub(now))
	start := time.Now()
	for i, m := range msgs {
		m.Id = uint16(i + 1)
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(b); err != nil {
			t.Fatalf("testkit: burst write: %v", err)
		}
		res.BytesOut += len(b)
	}
	last := start
	buf := make([]byte, 65535)
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	for len(seen) < len(msgs) {
		n, err := conn.Read(buf)
		if err != nil {
			break
		}
		r := new(dns.Msg)
		if r.Unpack(buf[:n]) != nil || r.Id == 0 || int(r.Id) > len(msgs) || seen[r.Id] {
			continue
		}
		seen[r.Id] = true
		last = time.Now()
		res.BytesIn += n
		if r.Truncated {
			res.Slipped++
			res.SlippedRcodes[r.Rcode]++
		} else {
			res.Answered++
			res.Rcodes[r.Rcode]++
		}
	}
	res.Dropped = len(msgs) - res.Answered - res.Slipped
	res.Seconds = int(last.Unix()-start.Unix()) + 1
	return res
}
