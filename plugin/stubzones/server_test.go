package stubzones

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"

	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// testServer is a DNS server on loopback, UDP and TCP on one port, whose
// handler a test can swap to make it misbehave.
type testServer struct {
	Addr string
	IP   string
	Port int

	mu      sync.Mutex
	handler dns.HandlerFunc
	asked   []dns.Question
	tcp     int // queries over TCP
}

func (s *testServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	s.mu.Lock()
	h := s.handler
	if len(r.Question) == 1 {
		s.asked = append(s.asked, r.Question[0])
	}
	if w.RemoteAddr().Network() == "tcp" {
		s.tcp++
	}
	s.mu.Unlock()
	h(w, r)
}

func (s *testServer) set(h dns.HandlerFunc) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// questions returns what the server was asked, as "name TYPE", and forgets it.
func (s *testServer) questions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, q := range s.asked {
		out = append(out, strings.ToLower(q.Name)+" "+dns.TypeToString[q.Qtype])
	}
	s.asked = nil
	return out
}

func (s *testServer) tcpQueries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tcp
}

// startServer serves h on ip and port (0: a free one), verifying TSIG with
// secrets when given.
func startServer(t testing.TB, ip string, port int, h dns.HandlerFunc, secrets ...map[string]string) *testServer {
	t.Helper()
	s := &testServer{IP: ip, handler: h}
	var tsig map[string]string
	if len(secrets) > 0 {
		tsig = secrets[0]
	}
	s.Port = testkit.ServeDNS(t, ip, port, s, tsig)
	s.Addr = testkit.HostPort(ip, s.Port)
	return s
}

// commonPort returns a port free for UDP and TCP on every ip.
func commonPort(t testing.TB, ips ...string) int {
	t.Helper()
	for range 100 {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		pc.Close()
		free := true
		for _, ip := range ips {
			for _, network := range []string{"udp", "tcp"} {
				addr := net.JoinHostPort(ip, fmt.Sprint(port))
				var err error
				if network == "udp" {
					var c net.PacketConn
					if c, err = net.ListenPacket(network, addr); err == nil {
						c.Close()
					}
				} else {
					var c net.Listener
					if c, err = net.Listen(network, addr); err == nil {
						c.Close()
					}
				}
				free = free && err == nil
			}
		}
		if free {
			return port
		}
	}
	t.Fatalf("no port free on all of %v", ips)
	return 0
}

// authServer returns a handler serving zones (origin → zone text) with
// CoreDNS's file plugin: a real authoritative server, with referrals, glue
// and CNAME chasing.
func authServer(t testing.TB, zones map[string]string) dns.HandlerFunc {
	t.Helper()
	f := testkit.FileZones(t, zones)
	return func(w dns.ResponseWriter, r *dns.Msg) {
		rcode, _ := f.ServeDNS(context.Background(), w, r)
		if !plugin.ClientWrite(rcode) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeRefused)
			w.WriteMsg(m)
		}
	}
}

// silent never answers.
func silent(dns.ResponseWriter, *dns.Msg) {}

// testOptions are options for zones served by test servers.
func testOptions(primaries ...string) *options {
	o := &options{refreshMin: time.Second, refreshMax: defaultRefreshMax, maxDepth: defaultMaxDepth, port: 53}
	for _, p := range primaries {
		ap, err := parsePrimary(p)
		if err != nil {
			panic(err)
		}
		o.primaries = append(o.primaries, ap)
	}
	return o
}

// newTestStubzones returns a handler for zone on a fake clock with no
// jitter, its server label set.
func newTestStubzones(clk Clock, zones map[string]*options) *Stubzones {
	s := New()
	s.clock = clk
	s.jitter = func(d time.Duration) time.Duration { return d }
	s.server = "dns://:53"
	for name, o := range zones {
		if err := s.addZone(name, o); err != nil {
			panic(err)
		}
	}
	return s
}

const exampleZone = `$TTL 300
@        IN SOA ns1 hostmaster 7 60 10 600 30
@        IN NS  ns1
@        IN NS  ns2
@        IN NS  ns.outside.test.
ns1      IN A   127.0.0.1
ns1      IN AAAA ::1
ns2      IN A   127.0.0.2
www      IN A   192.0.2.80
alias    IN CNAME www
far      IN CNAME www.outside.test.
`

// rewriter changes each reply before it is written.
type rewriter struct {
	dns.ResponseWriter
	r *dns.Msg
	f func(r, m *dns.Msg)
}

func (w rewriter) WriteMsg(m *dns.Msg) error {
	w.f(w.r, m)
	return w.ResponseWriter.WriteMsg(m)
}

// lie wraps h so that f changes every reply (r is the query).
func lie(h dns.HandlerFunc, f func(r, m *dns.Msg)) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) { h(rewriter{w, r, f}, r) }
}
