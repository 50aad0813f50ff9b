package test

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	ctest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

// startChaosmask starts corefile in-process and returns its UDP and TCP
// addresses.
func startChaosmask(t *testing.T, corefile string) (udp, tcp string) {
	t.Helper()
	i, udp, tcp, err := ctest.CoreDNSServerAndPorts(corefile)
	if err != nil {
		t.Fatalf("starting CoreDNS: %v", err)
	}
	t.Cleanup(func() { i.Stop() })
	return udp, tcp
}

// cmCHQuery is a CH-class query for name/qtype, with EDNS and optionally the
// NSID option.
func cmCHQuery(name string, qtype uint16, nsid bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Question[0].Qclass = dns.ClassCHAOS
	m.SetEdns0(1232, false)
	if nsid {
		m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
	}
	return m
}

func cmTXT(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out
}

func cmNSID(m *dns.Msg) (string, bool) {
	if o := m.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if n, ok := e.(*dns.EDNS0_NSID); ok {
				b, _ := hex.DecodeString(n.Nsid)
				return string(b), true
			}
		}
	}
	return "", false
}

// TestChaosmaskInChain runs chaosmask in front of the chaos and nsid plugins:
// unrevealed clients get the masked answers and no NSID, the revealed
// client what chaos and nsid say.
func TestChaosmaskInChain(t *testing.T) {
	udp, tcp := startChaosmask(t, `.:0 {
		chaosmask {
			version "masked version"
			id refuse
			reveal 127.0.0.5
		}
		nsid corebind-secret-id
		chaos CoreDNS-real-version
		whoami
	}`)
	hostname, _ := os.Hostname()

	for _, network := range []string{"udp", "tcp"} {
		addr := udp
		if network == "tcp" {
			addr = tcp
		}
		for _, tc := range []struct {
			from, qname string
			qtype       uint16
			rcode       int
			txt         []string
		}{
			{"127.0.0.2", "Version.Bind.", dns.TypeTXT, dns.RcodeSuccess, []string{"masked version"}},
			{"127.0.0.2", "VERSION.SERVER.", dns.TypeANY, dns.RcodeSuccess, []string{"masked version"}},
			{"127.0.0.2", "version.bind.", dns.TypeA, dns.RcodeSuccess, nil},
			{"127.0.0.2", "hostname.bind.", dns.TypeTXT, dns.RcodeSuccess, nil},
			{"127.0.0.2", "id.server.", dns.TypeTXT, dns.RcodeRefused, nil},
			{"127.0.0.2", "authors.bind.", dns.TypeTXT, dns.RcodeSuccess, nil},
			{"127.0.0.2", "example.org.", dns.TypeTXT, dns.RcodeRefused, nil},
			{"127.0.0.5", "version.bind.", dns.TypeTXT, dns.RcodeSuccess, []string{"CoreDNS-real-version"}},
			{"127.0.0.5", "hostname.bind.", dns.TypeTXT, dns.RcodeSuccess, []string{hostname}},
		} {
			name := fmt.Sprintf("%s from %s: %s %s", network, tc.from, tc.qname, dns.TypeToString[tc.qtype])
			r := testkit.Exchange(t, network, tc.from, addr, cmCHQuery(tc.qname, tc.qtype, true))
			if r.Rcode != tc.rcode || fmt.Sprint(cmTXT(r)) != fmt.Sprint(tc.txt) {
				t.Errorf("%s: %s %q, want %s %q", name, dns.RcodeToString[r.Rcode], cmTXT(r), dns.RcodeToString[tc.rcode], tc.txt)
			}
			if r.Rcode == dns.RcodeRefused && !hasEDE(r, dns.ExtendedErrorCodeProhibited) {
				t.Errorf("%s: REFUSED without EDE 18", name)
			}
			if tc.from != "127.0.0.5" {
				if r.Authoritative || r.Question[0].Name != tc.qname {
					t.Errorf("%s: AA %v, question %q; want AA clear and the question echoed", name, r.Authoritative, r.Question[0].Name)
				}
				for _, rr := range r.Answer {
					if h := rr.Header(); h.Name != tc.qname || h.Ttl != 0 || h.Class != dns.ClassCHAOS {
						t.Errorf("%s: answer %v; want owner %q, TTL 0, class CH", name, rr, tc.qname)
					}
				}
			}
			if id, ok := cmNSID(r); ok && tc.from != "127.0.0.5" {
				t.Errorf("%s: NSID %q sent to an unrevealed client", name, id)
			}
		}

		// IN queries asking for NSID.
		for from, want := range map[string]string{"127.0.0.2": "", "127.0.0.5": "corebind-secret-id"} {
			m := new(dns.Msg)
			m.SetQuestion("whoami.example.org.", dns.TypeA)
			m.SetEdns0(1232, false)
			m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
			r := testkit.Exchange(t, network, from, addr, m)
			if got, ok := cmNSID(r); got != want || ok != (want != "") {
				t.Errorf("%s IN from %s: NSID %q (present %v), want %q", network, from, got, ok, want)
			}
			if r.Rcode != dns.RcodeSuccess || len(r.Extra) == 0 {
				t.Errorf("%s IN from %s: whoami's answer lost: %v", network, from, r)
			}
		}
	}
}

// TestChaosmaskAloneKeepsOtherClassesShut: chaosmask opens the server to
// non-IN classes so it can answer CH; with no chaos or forward after it,
// every other class stays refused, as in a CoreDNS without chaosmask.
func TestChaosmaskAloneKeepsOtherClassesShut(t *testing.T) {
	udp, _ := startChaosmask(t, `.:0 {
		chaosmask {
			reveal 127.0.0.5
		}
		file testdata/chaosmask/db.example.org example.org
	}`)
	for _, class := range []uint16{dns.ClassHESIOD, dns.ClassANY, dns.ClassNONE} {
		m := new(dns.Msg)
		m.SetQuestion("www.example.org.", dns.TypeA)
		m.Question[0].Qclass = class
		if r := testkit.Exchange(t, "udp", "127.0.0.2", udp, m); r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
			t.Errorf("class %s: %s with %d answers, want REFUSED", dns.ClassToString[class], dns.RcodeToString[r.Rcode], len(r.Answer))
		}
	}
	// The revealed client: nothing after chaosmask answers CH, so REFUSED.
	if r := testkit.Exchange(t, "udp", "127.0.0.5", udp, cmCHQuery("version.bind.", dns.TypeTXT, false)); r.Rcode != dns.RcodeRefused {
		t.Errorf("revealed CH query with nothing to answer it: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	// Everybody else: chaosmask's answer.
	if r := testkit.Exchange(t, "udp", "127.0.0.2", udp, cmCHQuery("version.bind.", dns.TypeTXT, false)); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Errorf("CH version.bind: %s %v, want NOERROR without records", dns.RcodeToString[r.Rcode], r.Answer)
	}
	// IN is untouched.
	if r := testkit.Query(t, "udp", "127.0.0.2", udp, "www.example.org.", dns.TypeA); len(r.Answer) != 1 {
		t.Errorf("IN www.example.org: %v", r.Answer)
	}
}

// TestChaosmaskSeveralKeys: a block with several listeners builds one chain
// per listener; each masks.
func TestChaosmaskSeveralKeys(t *testing.T) {
	p1, p2 := testkit.FreePort(t), testkit.FreePort(t)
	startChaosmask(t, fmt.Sprintf(`.:%d .:%d {
		chaosmask {
			version masked
			reveal 127.0.0.5
		}
		chaos real
	}`, p1, p2))
	for _, port := range []int{p1, p2} {
		addr := testkit.HostPort("127.0.0.1", port)
		for from, want := range map[string]string{"127.0.0.2": "masked", "127.0.0.5": "real"} {
			r := testkit.Exchange(t, "udp", from, addr, cmCHQuery("version.bind.", dns.TypeTXT, false))
			if got := cmTXT(r); len(got) != 1 || got[0] != want {
				t.Errorf("port %d from %s: %q, want %q", port, from, got, want)
			}
		}
	}
}

func TestChaosmaskBadCorefile(t *testing.T) {
	_, err := ctest.CoreDNSServer(".:0 {\n    chaosmask {\n        reveal 10.0.0/8\n    }\n}\n")
	if err == nil {
		t.Fatal("started with a bad reveal element")
	}
	for _, want := range []string{"plugin/chaosmask", "Corefile:3", `parsing reveal element "10.0.0/8"`, "10.0.0.0/8"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// TestChaosmaskRevealByTSIG: `reveal key NAME` reveals to queries signed
// with that key and verified by the server, from any address.
func TestChaosmaskRevealByTSIG(t *testing.T) {
	const secret = "cGFzc3dvcmQtZm9yLWNoYW9zbWFzay1yZWFkbWU="
	udp, _ := startChaosmask(t, `.:0 {
		tsig {
			secret ops-key. `+secret+`
		}
		chaosmask {
			version masked
			reveal key ops-key.
		}
		chaos real
	}`)
	ask := func(key, secret string) (*dns.Msg, error) {
		m := cmCHQuery("version.bind.", dns.TypeTXT, false)
		c := &dns.Client{Timeout: 2 * time.Second}
		if key != "" {
			m.SetTsig(key, dns.HmacSHA256, 300, time.Now().Unix())
			c.TsigSecret = map[string]string{key: secret}
		}
		r, _, err := c.Exchange(m, udp)
		return r, err
	}
	if r, err := ask("ops-key.", secret); err != nil || fmt.Sprint(cmTXT(r)) != "[real]" {
		t.Errorf("signed with ops-key.: %v %v, want the real answer", r, err)
	}
	if r, err := ask("", ""); err != nil || fmt.Sprint(cmTXT(r)) != "[masked]" {
		t.Errorf("unsigned: %v %v, want the masked answer", r, err)
	}
	// A wrong secret fails verification: whatever comes back, not the real answer.
	if r, _ := ask("ops-key.", "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="); r != nil && fmt.Sprint(cmTXT(r)) == "[real]" {
		t.Errorf("signed with a wrong secret: got the real answer")
	}
}

// TestChaosmaskIPv6: reveal matches IPv6 clients.
func TestChaosmaskIPv6(t *testing.T) {
	port := testkit.FreePort(t)
	startChaosmask(t, fmt.Sprintf(`.:%d {
		chaosmask {
			version masked
			reveal ::1
		}
		chaos real
	}`, port))
	for _, tc := range []struct{ from, ip, want string }{
		{"::1", "::1", "real"},
		{"127.0.0.1", "127.0.0.1", "masked"},
	} {
		for _, network := range []string{"udp", "tcp"} {
			r := testkit.Exchange(t, network, tc.from, testkit.HostPort(tc.ip, port), cmCHQuery("version.bind.", dns.TypeTXT, false))
			if got := cmTXT(r); len(got) != 1 || got[0] != tc.want {
				t.Errorf("%s from %s: %q, want %q", network, tc.from, got, tc.want)
			}
		}
	}
}
