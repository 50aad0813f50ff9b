package bindfmt

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The expected lines below were written by BIND 9.18.49 (named -g with
// querylog yes) for the same dig queries.

func TestAppendName(t *testing.T) {
	tests := []struct{ in, want string }{
		{".", "."},
		{"", "."},
		{"www.example.org.", "www.example.org"},
		{"www.example.org", "www.example.org"},
		{"Www.Example.org.", "Www.Example.org"},
		// dig 'a\"b\ c\010d\195\169.example.org'
		{`a\"b\ c\010d\195\169.example.org.`, `a\"b\032c\010d\195\169.example.org`},
		// dig 'a\.b.example.org.'
		{`a\.b.example.org.`, `a\.b.example.org`},
		// dig '\@x\;y\(z\)\$.example.org.'
		{`\@x\;y\(z\)\$.example.org.`, `\@x\;y\(z\)\$.example.org`},
		// dig '\000\127\128\255\126\032\033.example.org'
		{`\000\127\128\255~\ !.example.org.`, `\000\127\128\255~\032!.example.org`},
		// BIND leaves these alone; miekg/dns escapes the quote.
		{`a\'b#c,d/e*f_g-h+i=j~k{l}m` + "`" + `n!o%p&q|r<s>t?u[v]w^x:y.example.org.`,
			`a'b#c,d/e*f_g-h+i=j~k{l}m` + "`" + `n!o%p&q|r<s>t?u[v]w^x:y.example.org`},
		// Raw bytes (a name built by hand, not unpacked) are escaped too.
		{"evil\nclient @0x1 1.2.3.4#53 (x): query: x IN A +.", `evil\010client\032\@0x1\0321.2.3.4#53\032\(x\):\032query:\032x\032IN\032A\032+`},
		{"tab\there.", `tab\009here`},
		{"a\\.", `a\.`},   // an escaped final dot is part of the label
		{"a\\\\.", `a\\`}, // an escaped backslash, then the trailing dot
		{"a\\", `a\\`},    // a dangling backslash
		{`\999.`, `999`},  // not a valid \DDD: an escaped "9", then "99"
		{`x\0.`, `x0`},    // a short \D is an escape of the digit
	}
	for _, tc := range tests {
		if got := string(AppendName(nil, tc.in)); got != tc.want {
			t.Errorf("AppendName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAppendNameRoundTrip checks with random labels that what AppendName
// prints is one line of printable ASCII that parses back to the same wire
// name.
func TestAppendNameRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var wire []byte
		for range 1 + r.IntN(4) {
			n := 1 + r.IntN(12)
			wire = append(wire, byte(n))
			for range n {
				wire = append(wire, byte(r.IntN(256)))
			}
		}
		wire = append(wire, 0)
		name, _, err := dns.UnpackDomainName(wire, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := AppendName(nil, name)
		for _, c := range out {
			if c <= 0x20 || c >= 0x7f {
				t.Fatalf("AppendName(%q) = %q has byte %#x", name, out, c)
			}
		}
		back := make([]byte, 256)
		n, err := dns.PackDomainName(string(out)+".", back, 0, nil, false)
		if err != nil {
			t.Fatalf("AppendName(%q) = %q does not parse: %v", name, out, err)
		}
		if !bytes.Equal(back[:n], wire) {
			t.Fatalf("AppendName(%q) = %q parses to %x, want %x", name, out, back[:n], wire)
		}
	}
}

func TestAppendFlags(t *testing.T) {
	tests := []struct {
		f    Flags
		v    uint8
		want string
	}{
		{RD | EDNS | Cookie, 0, "+E(0)K"},                         // dig
		{EDNS | TCP | Cookie, 0, "-E(0)TK"},                       // dig +norec +tcp
		{RD | EDNS | DO | CD, 0, "+E(0)DC"},                       // dig +dnssec +cd +nocookie
		{RD, 0, "+"},                                              // dig +noedns
		{RD | EDNS | ValidCookie | Cookie, 0, "+E(0)V"},           // dig +cookie=<server cookie>
		{RD | Signed | EDNS | Cookie, 0, "+SE(0)K"},               // dig -y
		{Signed | EDNS | TCP | DO | CD | Cookie, 0, "-SE(0)TDCK"}, // dig -y +tcp +dnssec +cd +norec
		{RD | Signed | TCP, 0, "+ST"},                             // dig -y +tcp +noedns +nocookie
		{RD | EDNS, 1, "+E(1)"},
		{0, 7, "-"},
	}
	for _, tc := range tests {
		if got := string(AppendFlags(nil, tc.f, tc.v)); got != tc.want {
			t.Errorf("AppendFlags(%08b, %d) = %q, want %q", tc.f, tc.v, got, tc.want)
		}
	}
}

func TestMnemonics(t *testing.T) {
	classes := map[uint16]string{1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY", 0: "RESERVED0", 2: "CLASS2", 7: "CLASS7"}
	for c, want := range classes {
		if got := string(AppendClass(nil, c)); got != want {
			t.Errorf("AppendClass(%d) = %q, want %q", c, got, want)
		}
	}
	types := map[uint16]string{1: "A", 28: "AAAA", 16: "TXT", 255: "ANY", 252: "AXFR", 0: "TYPE0",
		65000: "TYPE65000", 65535: "TYPE65535", dns.TypeNSAPPTR: "NSAP-PTR", dns.TypeHTTPS: "HTTPS"}
	for q, want := range types {
		if got := string(AppendType(nil, q)); got != want {
			t.Errorf("AppendType(%d) = %q, want %q", q, got, want)
		}
	}
	rcodes := map[int]string{0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 9: "NOTAUTH",
		11: "RESERVED11", 16: "BADVERS", 23: "BADCOOKIE", 4000: "4000"}
	for rc, want := range rcodes {
		if got := string(AppendRcode(nil, rc)); got != want {
			t.Errorf("AppendRcode(%d) = %q, want %q", rc, got, want)
		}
	}
}

func TestAppendPrefix(t *testing.T) {
	ts := time.Date(2026, time.November, 1, 5, 3, 4, 800_999_999, time.UTC)
	if got, want := string(AppendPrefix(nil, ts, "queries", "info")), "01-Nov-2026 05:03:04.800 queries: info: "; got != want {
		t.Errorf("AppendPrefix = %q, want %q", got, want)
	}
	ts = time.Date(2027, time.January, 31, 23, 59, 59, 7_000_000, time.FixedZone("X", 3600))
	if got, want := string(AppendTime(nil, ts)), "31-Jan-2027 23:59:59.007"; got != want {
		t.Errorf("AppendTime = %q, want %q", got, want)
	}
}

// TestQueryLine builds whole lines and compares them with BIND's.
func TestQueryLine(t *testing.T) {
	v4 := netip.MustParseAddr("127.0.0.1")
	v6 := netip.MustParseAddr("::1")
	tests := []struct {
		client netip.AddrPort
		key    string
		qname  string
		qclass uint16
		qtype  uint16
		f      Flags
		server netip.Addr
		want   string
	}{
		{netip.AddrPortFrom(v4, 51784), "", "www.example.org.", dns.ClassINET, dns.TypeA, RD | EDNS | Cookie, v4,
			"client @0x7fb8e30f4098 127.0.0.1#51784 (www.example.org): query: www.example.org IN A +E(0)K (127.0.0.1)"},
		{netip.AddrPortFrom(v6, 34739), "", "www.example.org.", dns.ClassINET, dns.TypeA, RD | EDNS | Cookie, v6,
			"client @0x7fb8e30f4098 ::1#34739 (www.example.org): query: www.example.org IN A +E(0)K (::1)"},
		{netip.AddrPortFrom(v4, 45622), "", "version.bind.", dns.ClassCHAOS, dns.TypeTXT, RD | EDNS | Cookie, v4,
			"client @0x7fb8e30f4098 127.0.0.1#45622 (version.bind): query: version.bind CH TXT +E(0)K (127.0.0.1)"},
		{netip.AddrPortFrom(v4, 36706), "", ".", dns.ClassINET, dns.TypeNS, RD | EDNS | Cookie, v4,
			"client @0x7fb8e30f4098 127.0.0.1#36706 (.): query: . IN NS +E(0)K (127.0.0.1)"},
		{netip.AddrPortFrom(v4, 46197), "k1.", "www.example.org.", dns.ClassINET, dns.TypeA, Signed | EDNS | TCP | DO | CD | Cookie, v4,
			"client @0x7fb8e30f4098 127.0.0.1#46197/key k1 (www.example.org): query: www.example.org IN A -SE(0)TDCK (127.0.0.1)"},
		// An IPv4 client on a dual-stack socket.
		{netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.2"), 53), "", "x.", dns.ClassINET, dns.TypeAAAA, RD, netip.MustParseAddr("::ffff:127.0.0.1"),
			"client @0x7fb8e30f4098 127.0.0.2#53 (x): query: x IN AAAA + (127.0.0.1)"},
	}
	for _, tc := range tests {
		b := AppendClient(nil, 0x7fb8e30f4098, tc.client, tc.key, tc.qname)
		b = AppendQuery(b, tc.qname, tc.qclass, tc.qtype, tc.f, 0, tc.server)
		if string(b) != tc.want {
			t.Errorf("got  %s\nwant %s", b, tc.want)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	b := make([]byte, 0, 512)
	client := netip.MustParseAddrPort("[2001:db8::53]:5353")
	server := netip.MustParseAddr("127.0.0.1")
	now := time.Now()
	allocs := testing.AllocsPerRun(100, func() {
		b = AppendPrefix(b[:0], now, "queries", "info")
		b = AppendClient(b, 0xc000123400, client, "key.", `a\ b\200.example.org.`)
		b = AppendQuery(b, `a\ b\200.example.org.`, dns.ClassINET, dns.TypeHTTPS, RD|EDNS|Cookie, 0, server)
		b = AppendRcode(b, dns.RcodeNameError)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per line, want 0", allocs)
	}
	if strings.Count(string(b), "\n") != 0 {
		t.Errorf("line has a newline: %q", b)
	}
}

func BenchmarkQueryLine(b *testing.B) {
	buf := make([]byte, 0, 512)
	client := netip.MustParseAddrPort("127.0.0.1:51784")
	server := netip.MustParseAddr("127.0.0.1")
	now := time.Now()
	for b.Loop() {
		buf = AppendPrefix(buf[:0], now, "queries", "info")
		buf = AppendClient(buf, 0xc000123400, client, "", "www.example.org.")
		buf = AppendQuery(buf, "www.example.org.", dns.ClassINET, dns.TypeA, RD|EDNS|Cookie, 0, server)
		buf = append(buf, '\n')
	}
}

func TestTimeCache(t *testing.T) {
	var c TimeCache
	base := time.Date(2026, time.November, 21, 5, 13, 46, 0, time.Local)
	for _, d := range []time.Duration{0, 800 * time.Millisecond, 999 * time.Millisecond, time.Second, 26 * time.Hour, 26*time.Hour + 5*time.Millisecond} {
		ts := base.Add(d)
		if got, want := string(c.AppendPrefix(nil, ts, "queries", "info")), string(AppendPrefix(nil, ts, "queries", "info")); got != want {
			t.Errorf("%v: %q, want %q", ts, got, want)
		}
		utc := ts.UTC()
		if got, want := string(c.AppendTime(nil, utc)), string(AppendTime(nil, utc)); got != want {
			t.Errorf("%v: %q, want %q", utc, got, want)
		}
	}
	now := time.Now()
	c.AppendTime(nil, now)
	b := make([]byte, 0, 64)
	if a := testing.AllocsPerRun(100, func() { b = c.AppendTime(b[:0], now) }); a != 0 {
		t.Errorf("%v allocations", a)
	}
}

func BenchmarkAppendPrefix(b *testing.B) {
	buf := make([]byte, 0, 64)
	now := time.Now()
	b.Run("AppendPrefix", func(b *testing.B) {
		for b.Loop() {
			buf = AppendPrefix(buf[:0], now, "queries", "info")
		}
	})
	b.Run("TimeCache", func(b *testing.B) {
		var c TimeCache
		for b.Loop() {
			buf = c.AppendPrefix(buf[:0], now, "queries", "info")
		}
	})
}
