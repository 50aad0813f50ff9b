package e2e

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/miekg/dns"
)

// hostileDrop is the outcome "no reply at all".
const hostileDrop = -1

// hostileCase is one malformed or unwelcome message and the outcomes it
// may get: response codes, or hostileDrop.
type hostileCase struct {
	name string
	from string
	wire []byte
	want []int
}

// hardeningWire packs m, failing the test on error.
func hardeningWire(t testing.TB, m *dns.Msg) []byte {
	t.Helper()
	m.Compress = false
	b, err := m.Pack()
	if err != nil {
		t.Fatalf("packing %v: %v", m, err)
	}
	return b
}

// hostileHeader is a query header: ID, flags (RD plus opcode), counts.
func hostileHeader(id uint16, opcode int, qd, an, ns, ar uint16) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], uint16(opcode)<<11|1<<8)
	binary.BigEndian.PutUint16(b[4:], qd)
	binary.BigEndian.PutUint16(b[6:], an)
	binary.BigEndian.PutUint16(b[8:], ns)
	binary.BigEndian.PutUint16(b[10:], ar)
	return b
}

// hostileName is a wire name of the given labels (raw bytes each).
func hostileName(labels ...[]byte) []byte {
	var b []byte
	for _, l := range labels {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

func hostileLabels(name string) [][]byte {
	var out [][]byte
	for _, l := range dns.SplitDomainName(name) {
		out = append(out, []byte(l))
	}
	return out
}

// hostileCat joins byte slices.
func hostileCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// hostileQuestion is a question section: name, type, class.
func hostileQuestion(name []byte, qtype, qclass uint16) []byte {
	b := append([]byte(nil), name...)
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, qtype), qclass)
}

// hostileCases are the hostile messages, built on the wire byte by byte
// where the DNS library would refuse to build them.
func hostileCases(t *testing.T) []hostileCase {
	exampleOrg := hostileLabels("example.org")
	www := hostileQuestion(hostileName(hostileLabels("www.example.org")...), dns.TypeA, dns.ClassINET)
	query := append(hostileHeader(1, dns.OpcodeQuery, 1, 0, 0, 0), www...)

	// The longest name there is: 255 octets on the wire, under example.org.
	long := [][]byte{bytes.Repeat([]byte("a"), 63), bytes.Repeat([]byte("b"), 63), bytes.Repeat([]byte("c"), 63), bytes.Repeat([]byte("d"), 49)}
	long = append(long, exampleOrg...)
	tooLong := append([][]byte{bytes.Repeat([]byte("e"), 10)}, long...)
	if n := len(hostileName(long...)); n != 255 {
		t.Fatalf("long name is %d octets", n)
	}

	opt := func(bufsize uint16, version uint8, rdata []byte) []byte {
		b := []byte{0} // root owner
		b = binary.BigEndian.AppendUint16(b, dns.TypeOPT)
		b = binary.BigEndian.AppendUint16(b, bufsize)
		b = append(b, 0, version, 0, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
		return append(b, rdata...)
	}
	// An EDNS option of n bytes of padding (RFC 7830).
	padding := func(n int) []byte {
		b := binary.BigEndian.AppendUint16(nil, dns.EDNS0PADDING)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
		return append(b, make([]byte, n)...)
	}
	signed := new(dns.Msg).SetQuestion("www.outside.test.", dns.TypeA)
	signed.SetTsig("stranger-key.", dns.HmacSHA256, 300, time.Now().Unix())
	signedWire, _, err := dns.TsigGenerate(signed, "c2VjcmV0", "", false)
	if err != nil {
		t.Fatal(err)
	}
	notify := new(dns.Msg).SetNotify("corp.example.")
	update := new(dns.Msg)
	update.SetUpdate("example.org.")
	update.Insert([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "evil.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 66)}})

	s, o := hardeningStranger, hardeningOffice
	drop, formerr, refused, notimp := hostileDrop, dns.RcodeFormatError, dns.RcodeRefused, dns.RcodeNotImplemented
	return []hostileCase{
		{"empty", s, nil, []int{drop}},
		{"truncated header", s, query[:7], []int{drop}},
		{"QDCOUNT 0", s, hostileHeader(2, dns.OpcodeQuery, 0, 0, 0, 0), []int{formerr}},
		{"QDCOUNT 2", s, hostileCat(hostileHeader(3, dns.OpcodeQuery, 2, 0, 0, 0), www, www), []int{formerr}},
		// miekg/dns takes a question count beyond the message's end as a
		// lie and unpacks no question; CoreDNS answers a message without
		// question SERVFAIL (dnsserver.Server.ServeDNS), vanilla too.
		{"QDCOUNT 1, no question", s, hostileHeader(4, dns.OpcodeQuery, 1, 0, 0, 0), []int{formerr, dns.RcodeServerFailure}},
		{"QDCOUNT 65535", s, hostileCat(hostileHeader(5, dns.OpcodeQuery, 65535, 0, 0, 0), www), []int{formerr}},
		{"question cut short", s, query[:len(query)-3], []int{formerr}},
		{"compression loop", s, hostileCat(hostileHeader(6, dns.OpcodeQuery, 1, 0, 0, 0), []byte{0xc0, 12, 0, 1, 0, 1}), []int{formerr}},
		{"compression loop of two", s, hostileCat(hostileHeader(7, dns.OpcodeQuery, 1, 0, 0, 0), []byte{1, 'a', 0xc0, 16, 0xc0, 12, 0, 1, 0, 1}), []int{formerr}},
		{"pointer past the end", s, hostileCat(hostileHeader(8, dns.OpcodeQuery, 1, 0, 0, 0), []byte{0xc0, 0xff, 0, 1, 0, 1}), []int{formerr}},
		{"label of 64 octets", s, hostileCat(hostileHeader(9, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(append([][]byte{bytes.Repeat([]byte("x"), 64)}, exampleOrg...)...), dns.TypeA, dns.ClassINET)), []int{formerr}},
		{"reserved label type", s, hostileCat(hostileHeader(10, dns.OpcodeQuery, 1, 0, 0, 0), []byte{0x41, 0, 0, 1, 0, 1}), []int{formerr}},
		{"name of 255 octets", s, hostileCat(hostileHeader(11, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(long...), dns.TypeA, dns.ClassINET)), []int{dns.RcodeNameError}},
		{"name of 266 octets", s, hostileCat(hostileHeader(12, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(tooLong...), dns.TypeA, dns.ClassINET)), []int{formerr}},
		{"a response", s, func() []byte { b := append([]byte(nil), query...); b[2] |= 0x80; return b }(), []int{drop}},
		{"ANCOUNT 2", s, hostileCat(hostileHeader(13, dns.OpcodeQuery, 1, 2, 0, 0), www), []int{formerr}},
		{"ARCOUNT 3", s, hostileCat(hostileHeader(14, dns.OpcodeQuery, 1, 0, 0, 3), www), []int{formerr}},
		{"trailing garbage", s, hostileCat(query, bytes.Repeat([]byte{0xff}, 40)), []int{dns.RcodeSuccess}},
		// Over UDP the datagram is larger than the server reads (FORMERR);
		// over TCP it is a valid query.
		{"EDNS buffer 65535, 4000 bytes of padding", s, hostileCat(hostileHeader(15, dns.OpcodeQuery, 1, 0, 0, 1), www, opt(65535, 0, padding(4000))), []int{dns.RcodeSuccess, formerr}},
		{"EDNS version 1", s, hostileCat(hostileHeader(16, dns.OpcodeQuery, 1, 0, 0, 1), www, opt(1232, 1, nil)), []int{dns.RcodeBadVers}},
		{"EDNS option longer than its OPT", s, hostileCat(hostileHeader(17, dns.OpcodeQuery, 1, 0, 0, 1), www, opt(1232, 0, []byte{0, 12, 0x0f, 0xa0, 0})), []int{formerr}},
		{"OPT longer than the message", s, hostileCat(hostileHeader(18, dns.OpcodeQuery, 1, 0, 0, 1), www, opt(1232, 0, nil)[:9], []byte{0x10, 0}), []int{formerr}},
		// RFC 6891 §6.1.1 asks for FORMERR; CoreDNS (vanilla too) does
		// not check and answers.
		{"two OPT records", s, hostileCat(hostileHeader(19, dns.OpcodeQuery, 1, 0, 0, 2), www, opt(1232, 0, nil), opt(1232, 0, nil)), []int{formerr, dns.RcodeSuccess}},
		{"unknown opcode 3", s, hostileCat(hostileHeader(20, 3, 1, 0, 0, 0), www), []int{notimp}},
		{"opcode 15", o, hostileCat(hostileHeader(21, 15, 1, 0, 0, 0), www), []int{notimp}},
		{"UPDATE from a stranger", s, hardeningWire(t, update), []int{notimp, refused}},
		{"UPDATE from the office", o, hardeningWire(t, update), []int{notimp, refused}},
		{"NOTIFY for the stub zone from a stranger", s, hardeningWire(t, notify), []int{refused}},
		{"NOTIFY for the stub zone from the office", o, hardeningWire(t, notify), []int{refused}},
		// With forward and chaos in the block CoreDNS lets every class
		// into the chain (vanilla too); file then answers a question of
		// any class for its names from its IN data. No recursion happens
		// for the stranger either way.
		{"class 300 from a stranger", s, hostileCat(hostileHeader(22, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(hostileLabels("www.example.org")...), dns.TypeA, 300)), []int{refused, notimp, dns.RcodeSuccess}},
		{"class 300 from the office", o, hostileCat(hostileHeader(23, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(hostileLabels("www.outside.test")...), dns.TypeA, 300)), []int{refused, notimp}},
		{"class ANY", s, hostileCat(hostileHeader(24, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(hostileLabels("www.example.org")...), dns.TypeA, dns.ClassANY)), []int{refused, notimp, dns.RcodeSuccess}},
		{"class ANY, recursion from a stranger", s, hostileCat(hostileHeader(27, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(hostileLabels("www.outside.test")...), dns.TypeA, dns.ClassANY)), []int{refused}},
		{"class HS version.bind", s, hostileCat(hostileHeader(25, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(hostileLabels("version.bind")...), dns.TypeTXT, dns.ClassHESIOD)), []int{refused, notimp}},
		{"AXFR over UDP from a stranger", s, hostileCat(hostileHeader(26, dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(hostileName(exampleOrg...), dns.TypeAXFR, dns.ClassINET)), []int{refused, notimp, formerr}},
		{"TSIG with a key nobody has", s, signedWire, []int{dns.RcodeNotAuth, refused}},
	}
}

// hostileExchange sends wire to addr from the given address over network
// and returns the reply's rcode (with the EDNS extended bits), or
// hostileDrop when none came within wait.
func hostileExchange(t *testing.T, network, from, addr string, wire []byte, wait time.Duration) int {
	t.Helper()
	var local net.Addr = &net.UDPAddr{IP: net.ParseIP(from)}
	if network == "tcp" {
		local = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	d := net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}
	conn, err := d.Dial(network, addr)
	if err != nil {
		t.Fatalf("%s dial %s: %v", network, addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	if network == "tcp" {
		wire = append(binary.BigEndian.AppendUint16(nil, uint16(len(wire))), wire...)
	}
	if _, err := conn.Write(wire); err != nil {
		t.Fatalf("%s write: %v", network, err)
	}
	var reply []byte
	if network == "tcp" {
		var l [2]byte
		if _, err := io.ReadFull(conn, l[:]); err != nil {
			return hostileDrop
		}
		reply = make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(conn, reply); err != nil {
			t.Fatalf("tcp: reply cut short: %v", err)
		}
	} else {
		buf := make([]byte, 65535)
		n, err := conn.Read(buf)
		if err != nil {
			return hostileDrop
		}
		reply = buf[:n]
	}
	m := new(dns.Msg)
	if err := m.Unpack(reply); err != nil {
		// A reply to a message the server could not parse may carry only
		// a header; that is all there is to read.
		if len(reply) < 12 {
			t.Fatalf("%s: reply of %d bytes", network, len(reply))
		}
		return int(reply[3] & 0xf)
	}
	return m.Rcode
}

// TestHardeningHostileInput sends every hostile message of hostileCases
// over UDP and TCP to corebind with all six plugins on, and checks that
// each gets its FORMERR, REFUSED, NOTIMP (or the documented rcode) or a
// drop, and that the server keeps answering an ordinary client after each.
// Names holding every byte value are answered and logged without forging
// a line; nothing panics.
func TestHardeningHostileInput(t *testing.T) {
	e := hardeningStart(t, hardeningOptions{})
	rcodeName := func(rc int) string {
		if rc == hostileDrop {
			return "no reply"
		}
		return dns.RcodeToString[rc]
	}
	for _, c := range hostileCases(t) {
		for _, network := range []string{"udp", "tcp"} {
			wait := 5 * time.Second
			if slices.Contains(c.want, hostileDrop) {
				wait = 1500 * time.Millisecond // a drop costs this long to see
			}
			got := hostileExchange(t, network, c.from, e.Addr, c.wire, wait)
			if !slices.Contains(c.want, got) {
				var want []string
				for _, w := range c.want {
					want = append(want, rcodeName(w))
				}
				t.Errorf("%s over %s: got %s, want %s", c.name, network, rcodeName(got), strings.Join(want, " or "))
			}
			// The next client is served as if nothing happened.
			r, err := testkit.TryExchange(network, hardeningOffice, e.Addr, hardeningQuestion("www.example.org.", dns.TypeA))
			if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				t.Fatalf("after %s over %s, an ordinary query got %v, %v", c.name, network, r, err)
			}
		}
	}

	// Names holding every byte value, from strangers (answered from the
	// zone: NXDOMAIN) and as recursion (denied: REFUSED and a denial line;
	// a stranger each, as denial logging is rate-limited per client).
	marks := 0
	for i := 0; i < 256; i += 63 {
		label := make([]byte, 0, 63)
		for b := i; b < i+63 && b < 256; b++ {
			label = append(label, byte(b))
		}
		for _, zone := range []string{"example.org", "outside.test"} {
			marks++
			wire := hostileName(append([][]byte{[]byte(fmt.Sprintf("bytes%d", marks)), label}, hostileLabels(zone)...)...)
			msg := hostileCat(hostileHeader(uint16(100+marks), dns.OpcodeQuery, 1, 0, 0, 0), hostileQuestion(wire, dns.TypeA, dns.ClassINET))
			want := dns.RcodeNameError
			if zone == "outside.test" {
				want = dns.RcodeRefused
			}
			for _, network := range []string{"udp", "tcp"} {
				from := fmt.Sprintf("127.0.0.%d", 150+marks)
				if got := hostileExchange(t, network, from, e.Addr, msg, 5*time.Second); got != want {
					t.Errorf("bytes %d-%d under %s over %s: got %s, want %s", i, i+62, zone, network, rcodeName(got), rcodeName(want))
				}
			}
		}
	}

	hardeningCheck(t, "udp", e.Addr)
	hardeningCheck(t, "tcp", e.Addr)

	// Every record made it to the logs as lines of their own: each mark
	// twice (UDP, TCP) in the query log, and the denied ones twice in the
	// denial log; every line has BIND's prefix and printable ASCII only.
	queries := filepath.Join(e.Core.Dir, "queries.log")
	security := filepath.Join(e.Core.Dir, "security.log")
	for m := 1; m <= marks; m++ {
		mark := fmt.Sprintf("(bytes%d.", m)
		if !testkit.Eventually(10*time.Second, func() bool { return hostileCount(t, queries, mark) == 2 }) {
			t.Errorf("query log: %d lines for %s, want 2", hostileCount(t, queries, mark), mark)
		}
		if m%2 == 0 && !testkit.Eventually(10*time.Second, func() bool { return hostileCount(t, security, mark) == 2 }) {
			t.Errorf("denial log: %d lines for %s, want 2", hostileCount(t, security, mark), mark)
		}
	}
	hostileCheckLines(t, queries)
	hostileCheckLines(t, security)

	m := testkit.Scrape(t, e.Metrics)
	if p := m.Sum("coredns_panics_total"); p != 0 {
		t.Errorf("coredns_panics_total = %v", p)
	}
	if e.Core.Exited() {
		t.Fatalf("corebind exited:\n%s", e.Core.Output())
	}
	if strings.Contains(e.Core.Output(), "panic") {
		t.Errorf("corebind's output mentions a panic:\n%s", e.Core.Output())
	}
}

var hostileLineRE = regexp.MustCompile(`^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} [a-z]+: [a-z]+: `)

// hostileCount is the number of lines of the file at path holding s.
func hostileCount(t *testing.T, path, s string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// hostileCheckLines fails the test for any line of a BIND-format log that
// lacks the file-channel prefix or holds anything but printable ASCII.
func hostileCheckLines(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, l := range lines {
		if !hostileLineRE.MatchString(l) {
			t.Errorf("%s line %d has no BIND prefix: %q", filepath.Base(path), i+1, l)
		}
		for j := 0; j < len(l); j++ {
			if l[j] < 0x20 || l[j] > 0x7e {
				t.Errorf("%s line %d holds byte %#x: %q", filepath.Base(path), i+1, l[j], l)
				break
			}
		}
	}
	if len(lines) < 10 {
		t.Errorf("%s has only %d lines", filepath.Base(path), len(lines))
	}
}

// TestHardeningTCPAbuse opens thousands of TCP connections that send
// nothing, stall in the middle of the length prefix or of a message, or
// go quiet after one query, and checks that the server keeps answering
// other clients over UDP and TCP meanwhile, closes every such connection
// by its own read and idle timeouts (CoreDNS's defaults: 3s and 10s), and
// is back to its file descriptors and goroutines of before.
func TestHardeningTCPAbuse(t *testing.T) {
	const idle = 2000
	testkit.RaiseFDLimit(t, 3*idle+1000) // the server inherits it too
	e := hardeningStart(t, hardeningOptions{})
	before := e.Usage(t)

	query := hardeningWire(t, hardeningQuestion("www.example.org.", dns.TypeA))
	framed := append(binary.BigEndian.AppendUint16(nil, uint16(len(query))), query...)
	abusers := []struct {
		name  string
		n     int
		write []byte
		reply bool // reads one reply first
	}{
		{"silent", idle, nil, false},
		{"half a length prefix", 50, framed[:1], false},
		{"half a message", 50, framed[:len(framed)/2], false},
		{"length prefix only", 50, framed[:2], false},
		{"quiet after one query", 50, framed, true},
	}
	type conn struct {
		name string
		c    net.Conn
	}
	var conns []conn
	for i, a := range abusers {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i))}, Timeout: 10 * time.Second}
		for range a.n {
			c, err := d.Dial("tcp", e.Addr)
			if err != nil {
				t.Fatalf("%s: dial: %v (after %d connections)", a.name, err, len(conns))
			}
			conns = append(conns, conn{a.name, c})
			if len(a.write) > 0 {
				if _, err := c.Write(a.write); err != nil {
					t.Fatalf("%s: write: %v", a.name, err)
				}
			}
			if a.reply {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				var l [2]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					t.Fatalf("%s: no reply: %v", a.name, err)
				}
				if _, err := io.ReadFull(c, make([]byte, binary.BigEndian.Uint16(l[:]))); err != nil {
					t.Fatalf("%s: reply cut short: %v", a.name, err)
				}
			}
		}
	}
	during := e.Usage(t)
	t.Logf("before: %v; with %d abusive connections: %v", before, len(conns), during)
	if during.FDs < before.FDs+idle {
		t.Errorf("the server holds %d fds with %d connections open (before %d): did it accept them?", during.FDs, len(conns), before.FDs)
	}

	// Everyone else is served meanwhile.
	hardeningCheck(t, "udp", e.Addr)
	hardeningCheck(t, "tcp", e.Addr)

	// The server hangs up on every one of them by itself.
	deadline := time.Now().Add(45 * time.Second)
	var wg sync.WaitGroup
	open := make(chan string, len(conns))
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.c.Close()
			c.c.SetReadDeadline(deadline)
			_, err := io.Copy(io.Discard, c.c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open <- c.name
			}
		}()
	}
	wg.Wait()
	close(open)
	stuck := map[string]int{}
	for name := range open {
		stuck[name]++
	}
	if len(stuck) > 0 {
		t.Errorf("connections the server never closed: %v", stuck)
	}
	if !testkit.Eventually(30*time.Second, func() bool {
		u := e.Usage(t)
		return u.FDs <= before.FDs+5 && u.Goroutines <= before.Goroutines+20
	}) {
		t.Errorf("not back to the usage of before: %v, before %v", e.Usage(t), before)
	}
	hardeningCheck(t, "tcp", e.Addr)
}
