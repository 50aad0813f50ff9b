package stubzones

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func rrs(ss ...string) []dns.RR {
	var out []dns.RR
	for _, s := range ss {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		out = append(out, rr)
	}
	return out
}

func rrStrings(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	return out
}

func TestClassify(t *testing.T) {
	const cut = "example.org."
	soa := "example.org. 30 IN SOA ns1.example.org. hostmaster.example.org. 7 60 10 600 30"
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		do     bool
		reply  dns.Msg
		kind   int
		rcode  int
		answer []string
		auth   []string
		next   string // referral: name of the next query; restart: the target
		cutTo  string
		addrs  []string
		err    string
	}{
		{
			name: "answer", qname: "www.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Answer: rrs("www.example.org. 300 IN A 192.0.2.80", "evil.test. 300 IN A 203.0.113.1")},
			kind:  final, answer: []string{"www.example.org. 300 IN A 192.0.2.80"},
		},
		{
			name: "non-authoritative answer", qname: "www.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{Answer: rrs("www.example.org. 300 IN A 192.0.2.80")},
			err:   "not authoritative",
		},
		{
			name: "SERVFAIL", qname: "www.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeServerFailure}},
			err:   "rcode SERVFAIL",
		},
		{
			name: "CNAME chain inside the cut", qname: "alias.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Answer: rrs(
				"alias.example.org. 300 IN CNAME www.example.org.",
				"www.example.org. 300 IN A 192.0.2.80")},
			kind: final, answer: []string{"alias.example.org. 300 IN CNAME www.example.org.", "www.example.org. 300 IN A 192.0.2.80"},
		},
		{
			name: "CNAME leaving the cut: its target's records are not taken", qname: "far.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Answer: rrs(
				"far.example.org. 300 IN CNAME www.outside.test.",
				"www.outside.test. 300 IN A 203.0.113.1")},
			kind: restart, next: "www.outside.test.", answer: []string{"far.example.org. 300 IN CNAME www.outside.test."},
		},
		{
			name: "CNAME query answered by the CNAME", qname: "alias.example.org.", qtype: dns.TypeCNAME,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Answer: rrs("alias.example.org. 300 IN CNAME www.example.org.")},
			kind:  final, answer: []string{"alias.example.org. 300 IN CNAME www.example.org."},
		},
		{
			name: "NXDOMAIN", qname: "nope.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true, Rcode: dns.RcodeNameError}, Ns: rrs(soa)},
			kind:  final, rcode: dns.RcodeNameError, auth: []string{soa},
		},
		{
			name: "NXDOMAIN with a SOA from outside the cut", qname: "nope.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true, Rcode: dns.RcodeNameError}, Ns: rrs("test. 30 IN SOA a.test. b.test. 1 1 1 1 1")},
			kind:  final, rcode: dns.RcodeNameError,
		},
		{
			name: "non-authoritative NXDOMAIN", qname: "nope.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeNameError}, Ns: rrs(soa)},
			err:   "not authoritative",
		},
		{
			name: "NODATA", qname: "www.example.org.", qtype: dns.TypeAAAA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Ns: rrs(soa)},
			kind:  final, auth: []string{soa},
		},
		{
			name: "referral down, glue only inside the child", qname: "www.sub.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{
				Ns: rrs("sub.example.org. 300 IN NS ns.sub.example.org.", "sub.example.org. 300 IN NS ns.other.test.", "sub.example.org. 300 IN NS ns.sibling.example.org."),
				Extra: rrs("ns.sub.example.org. 300 IN A 127.0.0.21", "ns.other.test. 300 IN A 203.0.113.2",
					"ns.sub.example.org. 300 IN A 0.0.0.0", "ns.sub.example.org. 300 IN A 224.0.0.1", "ns.sub.example.org. 300 IN AAAA ::",
					"ns.sub.example.org. 300 IN AAAA ff02::1", "ns.sub.example.org. 300 IN A 255.255.255.255",
					"ns.sibling.example.org. 300 IN A 203.0.113.3", "www.sub.example.org. 300 IN A 203.0.113.4"),
			},
			kind: referral, next: "www.sub.example.org.", cutTo: "sub.example.org.", addrs: []string{"127.0.0.21:53"},
		},
		{
			name: "referral up is lame", qname: "www.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{Ns: rrs("org. 300 IN NS a.org."), Extra: rrs("a.org. 300 IN A 203.0.113.5")},
			err:   "neither",
		},
		{
			name: "referral sideways is lame", qname: "www.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{Ns: rrs("other.example.org. 300 IN NS a.test.")},
			err:   "neither",
		},
		{
			name: "authority NS of the cut itself is no referral", qname: "www.example.org.", qtype: dns.TypeAAAA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Ns: rrs("example.org. 300 IN NS ns1.example.org.")},
			kind:  final,
		},
		{
			name: "CNAME then referral", qname: "alias.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true},
				Answer: rrs("alias.example.org. 300 IN CNAME www.sub.example.org."),
				Ns:     rrs("sub.example.org. 300 IN NS ns.sub.example.org."),
				Extra:  rrs("ns.sub.example.org. 300 IN A 127.0.0.21")},
			kind: referral, next: "www.sub.example.org.", cutTo: "sub.example.org.", addrs: []string{"127.0.0.21:53"},
			answer: []string{"alias.example.org. 300 IN CNAME www.sub.example.org."},
		},
		{
			name: "signatures with DO", qname: "www.example.org.", qtype: dns.TypeA, do: true,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Answer: rrs(
				"www.example.org. 300 IN A 192.0.2.80",
				"www.example.org. 300 IN RRSIG A 13 3 300 20261201000000 20261101000000 12345 example.org. AAAA",
				"www.example.org. 300 IN RRSIG TXT 13 3 300 20261201000000 20261101000000 12345 example.org. AAAA")},
			kind: final, answer: []string{"www.example.org. 300 IN A 192.0.2.80", "www.example.org. 300 IN RRSIG A 13 3 300 20261201000000 20261101000000 12345 example.org. AAAA"},
		},
		{
			name: "no signatures without DO", qname: "www.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}, Answer: rrs(
				"www.example.org. 300 IN A 192.0.2.80",
				"www.example.org. 300 IN RRSIG A 13 3 300 20261201000000 20261101000000 12345 example.org. AAAA")},
			kind: final, answer: []string{"www.example.org. 300 IN A 192.0.2.80"},
		},
		{
			name: "lame: empty non-authoritative reply", qname: "www.example.org.", qtype: dns.TypeA,
			reply: dns.Msg{},
			err:   "neither",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := classify(&tc.reply, cut, tc.qname, tc.qtype, tc.do, 53)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.kind != tc.kind || v.rcode != tc.rcode {
				t.Errorf("kind %d rcode %d, want %d %d", v.kind, v.rcode, tc.kind, tc.rcode)
			}
			if got := rrStrings(v.answer); !slices.Equal(got, tc.answer) {
				t.Errorf("answer %q, want %q", got, tc.answer)
			}
			if got, want := rrStrings(v.auth), rrStrings(rrs(tc.auth...)); !slices.Equal(got, want) {
				t.Errorf("authority %q, want %q", got, want)
			}
			if v.name != tc.next {
				t.Errorf("next name %q, want %q", v.name, tc.next)
			}
			if tc.kind == referral {
				var addrs []string
				for _, a := range v.next.known() {
					addrs = append(addrs, a.String())
				}
				if v.next.cut != tc.cutTo || !slices.Equal(addrs, tc.addrs) {
					t.Errorf("referral to %s at %v, want %s at %v", v.next.cut, addrs, tc.cutTo, tc.addrs)
				}
			}
		})
	}
}
