package rfc2317

import (
	"errors"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"

	"github.com/coredns/coredns/plugin/file"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

func collect(t *testing.T, ch <-chan []dns.RR) []dns.RR {
	t.Helper()
	var rrs []dns.RR
	for batch := range ch {
		rrs = append(rrs, batch...)
	}
	return rrs
}

// TestTransfer: behaviour 4, the parent's AXFR carries the synthesized CNAME
// and NS records, without the records they replace, between the SOAs; the
// result loads as a zone again.
func TestTransfer(t *testing.T) {
	f := testkit.FileZones(t, map[string]string{"2.0.192.in-addr.arpa.": parentZone + "0-7 IN NS ns.other.example.\n"})
	h := newHandler(t, `rfc2317 {
		delegate 192.0.2.0/29 ns1.customer.example. ns.2.0.192.in-addr.arpa.
		delegate 192.0.2.128/25 ns1.customer2.example.
		style range
	}`, nil, f)
	ch, err := h.Transfer("2.0.192.in-addr.arpa.", 0)
	if err != nil {
		t.Fatal(err)
	}
	rrs := collect(t, ch)
	if len(rrs) < 2 {
		t.Fatalf("%d records", len(rrs))
	}
	if _, ok := rrs[0].(*dns.SOA); !ok {
		t.Errorf("first record %s, want the SOA", rrs[0])
	}
	if _, ok := rrs[len(rrs)-1].(*dns.SOA); !ok {
		t.Errorf("last record %s, want the SOA", rrs[len(rrs)-1])
	}
	count := map[string]int{}
	text := map[string]bool{}
	for _, rr := range rrs {
		count[dns.TypeToString[rr.Header().Rrtype]]++
		text[rr.String()] = true
	}
	// 8 + 128 CNAMEs; NS: apex 1, 0-7 2, 128-255 1; PTR 10 (250 is in
	// 128/25 now).
	if count["SOA"] != 2 || count["CNAME"] != 136 || count["NS"] != 4 || count["PTR"] != 1 || count["A"] != 1 || count["AAAA"] != 1 {
		t.Errorf("record counts %v", count)
	}
	for _, want := range []string{
		"3.2.0.192.in-addr.arpa.\t600\tIN\tCNAME\t3.0-7.2.0.192.in-addr.arpa.",
		"255.2.0.192.in-addr.arpa.\t600\tIN\tCNAME\t255.128-255.2.0.192.in-addr.arpa.",
		"0-7.2.0.192.in-addr.arpa.\t600\tIN\tNS\tns1.customer.example.",
		"0-7.2.0.192.in-addr.arpa.\t600\tIN\tNS\tns.2.0.192.in-addr.arpa.",
		"128-255.2.0.192.in-addr.arpa.\t600\tIN\tNS\tns1.customer2.example.",
		"10.2.0.192.in-addr.arpa.\t86400\tIN\tPTR\thost10.isp.example.",
	} {
		if !text[want] {
			t.Errorf("transfer lacks %s", want)
		}
	}
	for rr := range text {
		if strings.Contains(rr, "stale.customer.example.") || strings.Contains(rr, "broadcast.isp") || strings.Contains(rr, "ns.other.example.") || strings.HasPrefix(rr, "250.2.0.192.in-addr.arpa.\t86400\tIN\tPTR") {
			t.Errorf("transfer carries the replaced record %s", rr)
		}
	}

	// What a secondary stores loads as a zone.
	var zone strings.Builder
	for _, rr := range rrs[:len(rrs)-1] {
		zone.WriteString(rr.String() + "\n")
	}
	z, err := file.Parse(strings.NewReader(zone.String()), "2.0.192.in-addr.arpa.", "axfr", 0)
	if err != nil {
		t.Fatalf("transferred zone does not load: %v", err)
	}
	if _, err := z.ApexIfDefined(); err != nil {
		t.Error(err)
	}

	// IXFR for the current serial: the SOA alone, nothing added.
	ch, err = h.Transfer("2.0.192.in-addr.arpa.", 2026010101)
	if err != nil {
		t.Fatal(err)
	}
	if rrs := collect(t, ch); len(rrs) != 1 || rrs[0].Header().Rrtype != dns.TypeSOA {
		t.Errorf("IXFR up to date: %v", rrs)
	}
	// IXFR for an older serial: the AXFR-style answer, with our records.
	ch, _ = h.Transfer("2.0.192.in-addr.arpa.", 2025010101)
	if rrs := collect(t, ch); len(rrs) != 2+136+4+3 {
		t.Errorf("IXFR fallback: %d records", len(rrs))
	}

	// Zones that are not the parent's belong to other Transferers.
	for _, zone := range []string{"0-7.2.0.192.in-addr.arpa.", "example.org.", "0.192.in-addr.arpa."} {
		if _, err := h.Transfer(zone, 0); !errors.Is(err, transfer.ErrNotAuthoritative) {
			t.Errorf("Transfer(%s): %v, want ErrNotAuthoritative", zone, err)
		}
	}
}

// TestTransferIncremental: a stream whose second record is an older SOA is
// an incremental transfer and passes untouched.
func TestTransferIncremental(t *testing.T) {
	h := newHandler(t, parentBlock, nil, testkit.FileZones(t, nil))
	in := make(chan []dns.RR, 1)
	soa := func(serial uint32) dns.RR {
		return &dns.SOA{Hdr: dns.RR_Header{Name: "2.0.192.in-addr.arpa.", Rrtype: dns.TypeSOA, Class: dns.ClassINET}, Serial: serial}
	}
	ptr, _ := dns.NewRR("3.2.0.192.in-addr.arpa. 60 IN PTR x.example.")
	in <- []dns.RR{soa(3), soa(2), ptr, soa(3), soa(3)}
	close(in)
	out := make(chan []dns.RR)
	go h.merge("2.0.192.in-addr.arpa.", h.blocks, in, out)
	if rrs := collect(t, out); len(rrs) != 5 {
		t.Errorf("incremental transfer changed: %v", rrs)
	}
}
