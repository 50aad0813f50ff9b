package test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	ctest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"
)

// The authoritative zone of the recursionacl tests. alias points outside
// it, to a name only the upstream knows: a denied client must get the CNAME
// and nothing from the upstream.
const raclZone = `$TTL 300
@       IN SOA ns1 hostmaster 1 3600 600 86400 300
@       IN NS  ns1
ns1     IN A   127.0.0.1
www     IN A   192.0.2.80
alias   IN CNAME www.outside.test.
big     IN TXT "0123456789012345678901234567890123456789012345678901234567890123456789"
big     IN TXT "1123456789012345678901234567890123456789012345678901234567890123456789"
big     IN TXT "2123456789012345678901234567890123456789012345678901234567890123456789"
`

// countingUpstream is an in-process recursive upstream: it answers every A
// query with 198.51.100.7 and counts what it receives, so a test can assert
// that a denied client caused no upstream traffic.
type countingUpstream struct {
	addr    string
	queries atomic.Int64
}

func startCountingUpstream(t *testing.T) *countingUpstream {
	t.Helper()
	u := &countingUpstream{}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	u.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		u.queries.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		if q := r.Question[0]; q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.ParseIP("198.51.100.7")})
		}
		w.WriteMsg(m)
	})
	us := &dns.Server{PacketConn: pc, Handler: h}
	ts := &dns.Server{Listener: l, Handler: h}
	go us.ActivateAndServe()
	go ts.ActivateAndServe()
	t.Cleanup(func() { us.Shutdown(); ts.Shutdown() })
	return u
}

// startRacl starts an in-process server from corefile, in which %[1]s is
// replaced by the zone file path and %[2]s by the upstream address.
func startRacl(t *testing.T, corefile string, up *countingUpstream) (udp, tcp string) {
	t.Helper()
	dir := t.TempDir()
	zone := filepath.Join(dir, "db.example.org")
	if err := os.WriteFile(zone, []byte(raclZone), 0o644); err != nil {
		t.Fatal(err)
	}
	upstream := "127.0.0.1:1"
	if up != nil {
		upstream = up.addr
	}
	i, udp, tcp, err := ctest.CoreDNSServerAndPorts(fmt.Sprintf(corefile, zone, upstream))
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	t.Cleanup(func() { i.Stop() })
	return udp, tcp
}

// raclQuery sends name/A from the client address from, with RD and EDNS as
// given, and returns the reply and the query and reply sizes.
func raclQuery(t *testing.T, network, from, server, name string, rd, edns bool) (*dns.Msg, int, int) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	m.RecursionDesired = rd
	if edns {
		m.SetEdns0(1232, false)
	}
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	if network == "tcp" {
		c.Dialer = &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	} else {
		c.Dialer = &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("%s query %s from %s: %v", network, name, from, err)
	}
	q, _ := m.Pack()
	a, _ := r.Pack()
	return r, len(q), len(a)
}

func hasEDE(r *dns.Msg, code uint16) bool {
	if o := r.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if ede, ok := e.(*dns.EDNS0_EDE); ok && ede.InfoCode == code {
				return true
			}
		}
	}
	return false
}

// loopback returns addr's port on 127.0.0.1 (servers listen on every
// address).
func loopback(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", port)
}

const raclCorefile = `.:0 {
	recursionacl {
		allow 127.0.0.2
	}
	cache
	file %[1]s example.org
	forward . %[2]s
}
`

// TestRecursionACLMatrix runs allowed/denied × authoritative/recursive ×
// UDP/TCP × RD on/off × EDNS on/off over real sockets, with cache in the
// chain and a counting upstream behind forward.
func TestRecursionACLMatrix(t *testing.T) {
	up := startCountingUpstream(t)
	udp, tcp := startRacl(t, raclCorefile, up)
	servers := map[string]string{"udp": loopback(t, udp), "tcp": loopback(t, tcp)}

	for _, client := range []string{"127.0.0.2", "127.0.0.3"} {
		for _, name := range []string{"www.example.org.", "www.outside.test."} {
			for _, network := range []string{"udp", "tcp"} {
				for _, rd := range []bool{true, false} {
					for _, edns := range []bool{true, false} {
						allowed, auth := client == "127.0.0.2", name == "www.example.org."
						t.Run(fmt.Sprintf("%s/%s/%s/rd=%v/edns=%v", client, name, network, rd, edns), func(t *testing.T) {
							before := up.queries.Load()
							r, qlen, alen := raclQuery(t, network, client, servers[network], name, rd, edns)
							if r.RecursionAvailable != allowed {
								t.Errorf("RA = %v, want %v", r.RecursionAvailable, allowed)
							}
							if r.RecursionDesired != rd {
								t.Errorf("RD = %v, want it echoed (%v)", r.RecursionDesired, rd)
							}
							if len(r.Question) != 1 || r.Question[0].Name != name {
								t.Errorf("question = %v, want %s echoed", r.Question, name)
							}
							if (r.IsEdns0() != nil) != edns {
								t.Errorf("OPT in reply = %v, want %v", r.IsEdns0() != nil, edns)
							}
							switch {
							case auth:
								if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.80" {
									t.Errorf("want the authoritative answer, got\n%v", r)
								}
							case allowed:
								if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "198.51.100.7" {
									t.Errorf("want the upstream's answer, got\n%v", r)
								}
							default:
								if r.Rcode != dns.RcodeRefused || r.Authoritative || len(r.Answer)+len(r.Ns) != 0 {
									t.Errorf("want an empty REFUSED, got\n%v", r)
								}
								if hasEDE(r, dns.ExtendedErrorCodeProhibited) != edns {
									t.Errorf("EDE 18 = %v, want %v", hasEDE(r, dns.ExtendedErrorCodeProhibited), edns)
								}
								if n := len(r.Extra); n > 1 || n == 1 && !edns {
									t.Errorf("additional section: %v", r.Extra)
								}
								if ratio := float64(alen) / float64(qlen); ratio > 1.2 {
									t.Errorf("amplification %d/%d = %.2f, want <= 1.2", alen, qlen, ratio)
								}
								if n := up.queries.Load() - before; n != 0 {
									t.Errorf("denied query caused %d upstream queries", n)
								}
							}
						})
					}
				}
			}
		}
	}
	if up.queries.Load() == 0 {
		t.Error("the allowed client's recursive queries never reached the upstream")
	}
}
