package verify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func msg(t *testing.T, rcode int, aa bool, answer, ns []string, ede ...uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion("www.example.org.", dns.TypeA)
	m.Response, m.Rcode, m.Authoritative = true, rcode, aa
	parse := func(ss []string) []dns.RR {
		var rrs []dns.RR
		for _, s := range ss {
			rr, err := dns.NewRR(s)
			if err != nil {
				t.Fatal(err)
			}
			rrs = append(rrs, rr)
		}
		return rrs
	}
	m.Answer, m.Ns = parse(answer), parse(ns)
	if len(ede) > 0 {
		o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		for _, c := range ede {
			o.Option = append(o.Option, &dns.EDNS0_EDE{InfoCode: c, ExtraText: fmt.Sprint("text ", c)})
		}
		m.Extra = append(m.Extra, o)
	}
	return m
}

func diffs(d []Difference) string {
	var s []string
	for _, x := range d {
		s = append(s, x.Field+": "+x.BIND+" / "+x.Corebind)
	}
	return strings.Join(s, "\n")
}

// TestCompareSame: TTLs (a cache's decrement), record order, the case of
// owners and of names in the data, duplicates, and the additional section
// do not count; EDE text does not either, only the codes.
func TestCompareSame(t *testing.T) {
	b := msg(t, dns.RcodeSuccess, true,
		[]string{"www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.2", "www.example.org. 300 IN TXT \"Mixed Case\""},
		[]string{"example.org. 300 IN NS ns1.example.org.", "example.org. 300 IN NS ns2.example.org."}, 18)
	c := msg(t, dns.RcodeSuccess, true,
		[]string{"WWW.Example.ORG. 299 IN A 192.0.2.2", "www.example.org. 12 IN TXT \"Mixed Case\"", "www.example.org. 1 IN A 192.0.2.1", "www.example.org. 1 IN A 192.0.2.1"},
		[]string{"example.org. 3600 IN NS NS2.example.ORG.", "Example.org. 300 IN NS ns1.example.org."}, 18)
	c.Opcode = 0
	glue, _ := dns.NewRR("ns1.example.org. 300 IN A 127.0.0.1")
	c.Extra = append([]dns.RR{glue}, c.Extra...)
	c.IsEdns0().Option[0].(*dns.EDNS0_EDE).ExtraText = "other words"
	if d := Compare(b, c); len(d) != 0 {
		t.Errorf("differences:\n%s", diffs(d))
	}
}

func TestCompareDifferent(t *testing.T) {
	soa := "example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300"
	for _, tc := range []struct {
		name string
		b, c *dns.Msg
		want string
	}{
		{"rcode", msg(t, dns.RcodeNameError, true, nil, []string{soa}), msg(t, dns.RcodeRefused, false, nil, nil),
			"rcode: NXDOMAIN / REFUSED\nflag AA: set / clear\nauthority example.org. SOA: ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300 / (none)"},
		{"data", msg(t, 0, true, []string{"www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.2"}, nil),
			msg(t, 0, true, []string{"www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.3"}, nil),
			"answer www.example.org. A: 192.0.2.2 +1 in both / 192.0.2.3 +1 in both"},
		{"rrset missing", msg(t, 0, true, []string{"www.example.org. 300 IN CNAME a.example.org.", "a.example.org. 300 IN A 192.0.2.1"}, nil),
			msg(t, 0, true, []string{"www.example.org. 300 IN CNAME a.example.org."}, nil),
			"answer a.example.org. A: 192.0.2.1 / (none)"},
		{"extra record", msg(t, 0, true, []string{"www.example.org. 300 IN A 192.0.2.1"}, nil),
			msg(t, 0, true, []string{"www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.3"}, nil),
			"answer www.example.org. A: (nothing else) +1 in both / 192.0.2.3 +1 in both"},
		{"txt case counts", msg(t, 0, true, []string{`www.example.org. 300 IN TXT "abc"`}, nil), msg(t, 0, true, []string{`www.example.org. 300 IN TXT "ABC"`}, nil),
			`answer www.example.org. TXT: "abc" / "ABC"`},
		{"ede", msg(t, dns.RcodeRefused, false, nil, nil, 18), msg(t, dns.RcodeRefused, false, nil, nil),
			"EDE: 18 (Prohibited) / none"},
		{"ede codes", msg(t, dns.RcodeServerFailure, false, nil, nil, 22, 23), msg(t, dns.RcodeServerFailure, false, nil, nil, 23),
			"EDE: 22 (No Reachable Authority), 23 (Network Error) / 23 (Network Error)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := diffs(Compare(tc.b, tc.c)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}

	// Flags; with TC on either side, the (incomplete) sections are not
	// compared.
	b := msg(t, 0, true, []string{"www.example.org. 300 IN A 192.0.2.1"}, nil)
	c := msg(t, 0, true, nil, nil)
	b.RecursionAvailable, c.Truncated = true, true
	if got, want := diffs(Compare(b, c)), "flag RA: set / clear\nflag TC: clear / set"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Extended rcodes (BADVERS) come from the OPT record.
	b, c = msg(t, dns.RcodeBadVers, false, nil, nil), msg(t, dns.RcodeBadVers, false, nil, nil)
	b.SetEdns0(1232, false)
	b.IsEdns0().SetExtendedRcode(dns.RcodeBadVers)
	buf, _ := b.Pack()
	b = new(dns.Msg)
	if err := b.Unpack(buf); err != nil {
		t.Fatal(err)
	}
	c.Rcode = dns.RcodeFormatError
	if got, want := diffs(Compare(b, c)), "rcode: BADVERS / FORMERR"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCommas(t *testing.T) {
	for n, want := range map[int]string{0: "0", 12: "12", 999: "999", 1000: "1,000", 1943: "1,943", 1234567: "1,234,567", -1943: "-1,943"} {
		if got := commas(n); got != want {
			t.Errorf("commas(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDifferenceKind(t *testing.T) {
	for field, want := range map[string]string{
		"rcode": "rcode", "flag AA": "aa", "flag TC over TCP": "tc", "EDE": "ede",
		"answer www.example.org. A": "answer", "authority example.org. NS over TCP": "authority", "reply": "reply",
	} {
		if got := (Difference{Field: field}).Kind(); got != want {
			t.Errorf("Kind(%q) = %q, want %q", field, got, want)
		}
	}
}

// The names inside the data compare without case, every other field with
// it: HTTPS (an embedded SVCB), RP (two names) and HIP (a list of names)
// included, TXT left alone.
func TestCanonicalData(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"x. 300 IN NS NS1.Example.ORG.", "x. 300 IN NS ns1.example.org.", true},
		{"x. 300 IN MX 10 Mail.Example.org.", "x. 300 IN MX 10 mail.example.org.", true},
		{"x. 300 IN SOA NS.Example.org. Host.Example.org. 1 2 3 4 5", "x. 300 IN SOA ns.example.org. host.example.org. 1 2 3 4 5", true},
		{"x. 300 IN HTTPS 1 SVC.Example.net. alpn=h2", "x. 300 IN HTTPS 1 svc.example.net. alpn=h2", true},
		{"x. 300 IN RP Admin.Example.org. Info.Example.org.", "x. 300 IN RP admin.example.org. info.example.org.", true},
		{"x. 300 IN HIP 2 200100107B1A74DF365639CC39F1D578 AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cIvM4p9+LrV4e19WzK00+CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ryra+bSRGQb1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXdXF5D RVS1.Example.com. RVS2.Example.com.", "x. 300 IN HIP 2 200100107B1A74DF365639CC39F1D578 AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cIvM4p9+LrV4e19WzK00+CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ryra+bSRGQb1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXdXF5D rvs1.example.com. rvs2.example.com.", true},
		{`x. 300 IN TXT "Hello"`, `x. 300 IN TXT "hello"`, false},
	} {
		a, err := dns.NewRR(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := dns.NewRR(tc.b)
		if err != nil {
			t.Fatal(err)
		}
		before := a.String()
		if got := canonicalData(a) == canonicalData(b); got != tc.same {
			t.Errorf("%s vs %s: same %v, want %v (%q, %q)", tc.a, tc.b, got, tc.same, canonicalData(a), canonicalData(b))
		}
		if a.String() != before {
			t.Errorf("canonicalData changed its argument: %s, was %s", a, before)
		}
	}
}
