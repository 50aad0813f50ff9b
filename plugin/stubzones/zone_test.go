package stubzones

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestDescribe(t *testing.T) {
	d := testData(t, time.Now())
	if got, want := d.describe(), "ns1.example.org. (127.0.0.1 ::1), ns.outside.test."; got != want {
		t.Errorf("describe() = %q, want %q", got, want)
	}
}

// newStubData keeps what a stub zone may hold and no more.
func TestNewStubDataBounds(t *testing.T) {
	soa := rrs("example.org. 300 IN SOA ns1.example.org. h.example.org. 1 60 10 600 30")[0].(*dns.SOA)
	var ns []*dns.NS
	var glue []dns.RR
	for i := range maxNS + 5 {
		ns = append(ns, rrs(fmt.Sprintf("example.org. 300 IN NS NS%d.Example.org.", i))[0].(*dns.NS))
		for j := range maxAddrsPerNS + 2 {
			glue = append(glue, rrs(fmt.Sprintf("ns%d.example.org. 300 IN A 10.0.%d.%d", i, i, j))...)
		}
	}
	ns = append(ns, ns[0]) // a duplicate
	glue = append(glue, rrs("ns0.example.org. 300 IN A 10.0.0.0", "www.example.org. 300 IN A 10.9.9.9", "ns0.example.org. 300 IN A 0.0.0.0")...)
	d, err := newStubData(zoneName, soa, ns, glue, testOptions("127.0.0.1"), time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ns) != maxNS || len(d.glue) != maxGlue {
		t.Errorf("%d NS and %d addresses kept, want %d and %d", len(d.ns), len(d.glue), maxNS, maxGlue)
	}
	for name, addrs := range d.top.addrs {
		if len(addrs) > maxAddrsPerNS {
			t.Errorf("%s: %d addresses", name, len(addrs))
		}
	}
	for _, rr := range d.glue {
		if s := rr.String(); strings.Contains(s, "www.") || strings.HasSuffix(s, "\t0.0.0.0") {
			t.Errorf("kept %s", s)
		}
	}

	for _, bad := range [][]*dns.NS{nil, {rrs("sub.example.org. 300 IN NS ns1.example.org.")[0].(*dns.NS)}} {
		if _, err := newStubData(zoneName, soa, bad, nil, testOptions("127.0.0.1"), time.Now(), ""); err == nil {
			t.Errorf("NS %v accepted", bad)
		}
	}
	if _, err := newStubData("example.net.", soa, ns, nil, testOptions("127.0.0.1"), time.Now(), ""); err == nil {
		t.Error("a SOA of another zone accepted")
	}
}
