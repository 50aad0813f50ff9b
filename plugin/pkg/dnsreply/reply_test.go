package dnsreply

import (
	"bytes"
	"crypto/tls"
	"testing"

	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

func queries() []*dns.Msg {
	var qs []*dns.Msg
	plain := new(dns.Msg)
	plain.SetQuestion("www.example.org.", dns.TypeA)
	qs = append(qs, plain)
	for _, size := range []uint16{0, 512, 1232, 4096} {
		for _, do := range []bool{false, true} {
			q := new(dns.Msg)
			q.SetQuestion("www.example.org.", dns.TypeA)
			q.SetEdns0(size, do)
			qs = append(qs, q)
		}
	}
	return qs
}

func pack(t *testing.T, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestErrorAsBuiltBefore: Error packs to the bytes of the replies the
// plugins built themselves before it: recursionacl's refusal and
// stubzones' SERVFAIL (an OPT fitted by request.SizeAndDo).
func TestErrorAsBuiltBefore(t *testing.T) {
	for _, r := range queries() {
		old := new(dns.Msg)
		old.SetRcode(r, dns.RcodeRefused)
		if o := r.IsEdns0(); o != nil {
			opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
			opt.SetUDPSize(dns.DefaultMsgSize)
			if o.Do() {
				opt.SetDo()
			}
			opt.Option = []dns.EDNS0{&dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeProhibited}}
			old.Extra = []dns.RR{opt}
		}
		if got := Error(r, dns.RcodeRefused, dns.DefaultMsgSize, dns.ExtendedErrorCodeProhibited, ""); !bytes.Equal(pack(t, got), pack(t, old)) {
			t.Errorf("refusal of\n%v\ngot\n%v\nwant\n%v", r, got, old)
		}

		old = new(dns.Msg)
		old.SetRcode(r, dns.RcodeServerFailure)
		if r.IsEdns0() != nil {
			old.SetEdns0(1232, false)
			opt := old.IsEdns0()
			opt.Option = append(opt.Option, &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeNoReachableAuthority, ExtraText: "no name server answered"})
			(&request.Request{Req: r.Copy()}).SizeAndDo(old)
		}
		if got := Error(r, dns.RcodeServerFailure, 0, dns.ExtendedErrorCodeNoReachableAuthority, "no name server answered"); !bytes.Equal(pack(t, got), pack(t, old)) {
			t.Errorf("servfail of\n%v\ngot\n%v\nwant\n%v", r, got, old)
		}
	}
}

// TestWriterConnectionState: the TLS state passes through the base.
func TestWriterConnectionState(t *testing.T) {
	cs := &tls.ConnectionState{ServerName: "dns.example"}
	if got := (Writer{ResponseWriter: &tlsWriter{cs: cs}}).ConnectionState(); got != cs {
		t.Errorf("ConnectionState %v, want %v", got, cs)
	}
	if got := (Writer{ResponseWriter: &test.ResponseWriter{}}).ConnectionState(); got != nil {
		t.Errorf("ConnectionState without TLS %v, want nil", got)
	}
}

type tlsWriter struct {
	test.ResponseWriter
	cs *tls.ConnectionState
}

func (w *tlsWriter) ConnectionState() *tls.ConnectionState { return w.cs }
