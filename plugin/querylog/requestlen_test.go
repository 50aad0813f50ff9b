package querylog

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/miekg/dns"
)

// randomRR returns an RR of a random type whose names share suffixes with
// the zone, to cover the sizes of many record types.
func randomRR(r *rand.Rand, zone string) dns.RR {
	labels := []string{"www", "mail", "a", "b", "ns1", "WWW", `x\.y`, `sp\ ace`, `\200\001`, "_sip._tcp", "long-label-for-padding"}
	name := func() string {
		n := zone
		for range r.IntN(3) {
			n = labels[r.IntN(len(labels))] + "." + n
		}
		if r.IntN(10) == 0 {
			n = "other.example.net."
		}
		return n
	}
	rrs := []string{
		"%s 300 IN A 192.0.2.1",
		"%s 300 IN AAAA 2001:db8::1",
		"%s 300 IN TXT \"hello world\" \"two\"",
		"%s 300 IN NS %s",
		"%s 300 IN CNAME %s",
		"%s 300 IN PTR %s",
		"%s 300 IN MX 10 %s",
		"%s 300 IN SOA %s %s 1 3600 600 86400 300",
		"%s 300 IN SRV 0 5 5060 %s",
		"%s 300 IN DNAME %s",
		"%s 300 IN NSEC %s A NS SOA RRSIG",
		"%s 300 IN RRSIG A 13 3 300 20300101000000 20200101000000 12345 %s AAAA",
		"%s 300 IN SVCB 1 %s alpn=h2",
		"%s 300 IN HTTPS 1 %s",
		"%s 300 IN AFSDB 1 %s",
		"%s 300 IN KX 1 %s",
		"%s 300 IN RT 1 %s",
		"%s 300 IN RP %s %s",
		"%s 300 IN MINFO %s %s",
		"%s 300 IN DS 12345 13 2 aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899",
		"%s 300 IN CAA 0 issue \"ca.example\"",
		"%s 300 IN NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.org!\" %s",
	}
	f := rrs[r.IntN(len(rrs))]
	args := []any{name()}
	for range countVerbs(f) - 1 {
		args = append(args, name())
	}
	rr, err := dns.NewRR(fmt.Sprintf(f, args...))
	if err != nil {
		panic(err)
	}
	return rr
}

func countVerbs(f string) int {
	n := 0
	for i := 0; i+1 < len(f); i++ {
		if f[i] == '%' && f[i+1] == 's' {
			n++
		}
	}
	return n
}

// TestRequestLen compares requestLen with (*dns.Msg).Len and with the
// packed size on random messages: queries carry no records, but the
// function must stay right for any message, with any EDNS options.
func TestRequestLen(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 3000 {
		m := new(dns.Msg)
		m.SetQuestion("www.example.org.", dns.TypeA)
		m.Compress = i%7 == 0
		for range r.IntN(4) {
			m.Extra = append(m.Extra, randomRR(r, "example.org."))
		}
		if r.IntN(2) == 0 {
			m.SetEdns0(1232, true)
			opt := m.IsEdns0()
			if r.IntN(2) == 0 {
				opt.Option = append(opt.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
			}
			if r.IntN(3) == 0 {
				opt.Option = append(opt.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(r.IntN(33)), Address: []byte{192, 0, 2, 0}})
			}
			if r.IntN(4) == 0 {
				opt.Option = append(opt.Option, &dns.EDNS0_PADDING{Padding: make([]byte, r.IntN(40))},
					&dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: "abcd"}, &dns.EDNS0_EXPIRE{Code: dns.EDNS0EXPIRE, Empty: r.IntN(2) == 0},
					&dns.EDNS0_TCP_KEEPALIVE{Code: dns.EDNS0TCPKEEPALIVE, Timeout: uint16(r.IntN(2))},
					&dns.EDNS0_EDE{InfoCode: 18, ExtraText: "no"}, &dns.EDNS0_LOCAL{Code: 65001, Data: []byte{1, 2}})
			}
		}
		want := m.Len()
		if got := requestLen(m); got != want {
			t.Fatalf("message %d: requestLen %d, Len %d\n%s", i, got, want, m)
		}
		packed, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if len(packed) != want {
			t.Logf("message %d: packed %d, Len %d", i, len(packed), want)
		}
	}
}

// digQuery is a query as dig sends it: EDNS with a cookie, not compressed.
func digQuery() *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion("www.example.org.", dns.TypeA)
	q.SetEdns0(1232, false)
	q.IsEdns0().Option = append(q.IsEdns0().Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
	return q
}

func TestRequestLenAllocations(t *testing.T) {
	q := digQuery()
	if got, want := requestLen(q), q.Len(); got != want {
		t.Fatalf("requestLen %d, Len %d", got, want)
	}
	if a := testing.AllocsPerRun(100, func() { requestLen(q) }); a != 0 {
		t.Errorf("requestLen: %v allocations", a)
	}
}

func BenchmarkRequestLen(b *testing.B) {
	q := digQuery()
	b.Run("requestLen", func(b *testing.B) {
		for b.Loop() {
			requestLen(q)
		}
	})
	b.Run("Msg.Len", func(b *testing.B) {
		for b.Loop() {
			q.Len()
		}
	})
}
