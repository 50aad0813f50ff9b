package test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns/coredns/pb"
	"github.com/miekg/dns"
	"google.golang.org/grpc"

	"github.com/corebind/corebind/internal/testkit"
)

// grpcRecorder is a gRPC DNS server (CoreDNS's pb.DnsService) the test
// runs behind the grpc plugin: it records every query it sees and answers
// A queries with 198.51.100.9, claiming AA=1 as an authoritative server
// would.
type grpcRecorder struct {
	pb.UnimplementedDnsServiceServer
	addr string
	seen atomic.Int64
	mu   chan struct{}
	qs   []string
}

func startGRPCRecorder(t *testing.T) *grpcRecorder {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &grpcRecorder{addr: l.Addr().String(), mu: make(chan struct{}, 1)}
	s := grpc.NewServer()
	pb.RegisterDnsServiceServer(s, g)
	go s.Serve(l)
	t.Cleanup(s.Stop)
	return g
}

func (g *grpcRecorder) Query(_ context.Context, p *pb.DnsPacket) (*pb.DnsPacket, error) {
	r := new(dns.Msg)
	if err := r.Unpack(p.Msg); err != nil || len(r.Question) == 0 {
		return nil, fmt.Errorf("bad packet: %v", err)
	}
	g.seen.Add(1)
	g.mu <- struct{}{}
	g.qs = append(g.qs, r.Question[0].Name)
	<-g.mu
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative, m.RecursionAvailable = true, true
	if q := r.Question[0]; q.Qtype == dns.TypeA {
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.ParseIP("198.51.100.9")})
	}
	b, err := m.Pack()
	return &pb.DnsPacket{Msg: b}, err
}

func (g *grpcRecorder) names() string {
	g.mu <- struct{}{}
	defer func() { <-g.mu }()
	return strings.Join(g.qs, " ")
}

// TestRecursionACLBarrierGRPC: the plugin after the local data is grpc, to
// a server this test runs, which ignores nothing it is sent: a denied
// client's queries reach it zero times, whatever the local plugins pass on
// (names outside every zone, file's and hosts' fallthrough, an out-of-zone
// CNAME target, CH); an allowed client's reach it, and come back with AA=0.
func TestRecursionACLBarrierGRPC(t *testing.T) {
	g := startGRPCRecorder(t)
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
	}
	cache
	hosts {
		192.0.2.10 host.hosts.test
		fallthrough
	}
	file %[1]s/db.example.org example.org {
		fallthrough
	}
	grpc . `+g.addr+`
}
`, nil, map[string]string{})

	for _, network := range []string{"udp", "tcp"} {
		for _, tc := range []struct {
			name  string
			qtype uint16
			rcode int
			ans   int
			ede   bool
		}{
			{"www.example.org.", dns.TypeA, dns.RcodeSuccess, 1, false},
			{"host.hosts.test.", dns.TypeA, dns.RcodeSuccess, 1, false},
			{"alias.example.org.", dns.TypeA, dns.RcodeSuccess, 1, true}, // the CNAME, its target refused
			{"nx.example.org.", dns.TypeA, dns.RcodeRefused, 0, true},    // file's fallthrough
			{"other.hosts.test.", dns.TypeA, dns.RcodeRefused, 0, true},  // hosts' fallthrough
			{"www.outside.test.", dns.TypeA, dns.RcodeRefused, 0, true},
			{"www.outside.test.", dns.TypeAAAA, dns.RcodeRefused, 0, true},
		} {
			for _, rd := range []bool{true, false} {
				m := new(dns.Msg)
				m.SetQuestion(tc.name, tc.qtype)
				m.RecursionDesired = rd
				m.SetEdns0(1232, false)
				r := testkit.Exchange(t, network, "127.0.0.3", srv.addr[network], m)
				if r.Rcode != tc.rcode || len(r.Answer) != tc.ans || r.RecursionAvailable {
					t.Errorf("%s denied %s %s rd=%v: got\n%v", network, tc.name, dns.TypeToString[tc.qtype], rd, r)
				}
				if hasEDE(r, dns.ExtendedErrorCodeProhibited) != tc.ede {
					t.Errorf("%s denied %s rd=%v: EDE 18 = %v, want %v", network, tc.name, rd, !tc.ede, tc.ede)
				}
			}
		}
	}
	m := new(dns.Msg)
	m.SetQuestion("version.bind.", dns.TypeTXT)
	m.Question[0].Qclass = dns.ClassCHAOS
	testkit.Exchange(t, "udp", "127.0.0.3", srv.addr["udp"], m)
	if n := g.seen.Load(); n != 0 {
		t.Fatalf("the plugin after the local data saw %d queries from a denied client: %s", n, g.names())
	}

	for _, network := range []string{"udp", "tcp"} {
		r, _, _ := raclQuery(t, network, "127.0.0.2", srv.addr[network], network+".outside.test.", true, true)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || !r.RecursionAvailable || r.Authoritative {
			t.Errorf("%s allowed: want grpc's answer with RA=1 AA=0, got\n%v", network, r)
		}
		r, _, _ = raclQuery(t, network, "127.0.0.2", srv.addr[network], "nx.example.org.", true, true)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Authoritative {
			t.Errorf("%s allowed, file's fallthrough: want grpc's answer, AA=0, got\n%v", network, r)
		}
	}
	if got := g.names(); got != "udp.outside.test. nx.example.org. tcp.outside.test." && got != "udp.outside.test. nx.example.org. tcp.outside.test. nx.example.org." {
		t.Errorf("grpc saw %q, want the allowed client's queries only", got)
	}
}

// TestRecursionACLParityBIND runs the same queries against corebind and a
// BIND 9 named with the same zone, allow-recursion and forwarder (each with
// an upstream of its own that answers with AA=1 and counts queries), over
// UDP and TCP, and compares rcode, AA, RA, the answer section (TTLs aside)
// and EDE 18:
//   - a denied client's in-zone CNAME to an out-of-zone target: the CNAME,
//     AA=1, EDE 18;
//   - an allowed client's RD=0 query: from the cache only, no upstream
//     query; a miss is NOERROR without records;
//   - AA=0 on everything not from a local zone, cached or not.
//
// The authority section is not compared: on a cache miss BIND gives the
// root servers of its hints, which corebind has not (see the README), and
// file adds the zone's NS where BIND's minimal-responses leaves them out.
func TestRecursionACLParityBIND(t *testing.T) {
	// BIND as a forwarder (forward only) and as a resolver from root hints
	// naming the upstream; the RD=0 miss is the same in both but for the
	// authority section.
	t.Run("forwarders", func(t *testing.T) { raclParity(t, false) })
	t.Run("hints", func(t *testing.T) { raclParity(t, true) })
}

func raclParity(t *testing.T, hints bool) {
	cbUp, bindUp := startRaclUpstream(t), startRaclUpstream(t)
	cbUp.aa.Store(true)
	bindUp.aa.Store(true)
	_, upPort, _ := net.SplitHostPort(bindUp.addr)
	opts := testkit.NamedOptions{
		Options: `recursion yes;
	allow-recursion { 127.0.0.2; };
	forwarders { 127.0.0.1 port ` + upPort + `; };
	forward only;`,
		Conf:  `zone "example.org" { type primary; file "db.example.org"; };`,
		Files: map[string]string{"db.example.org": raclZone},
	}
	if hints {
		// The upstream is the root server: port sets where BIND sends
		// its queries (it listens on listen-on's).
		opts.Options = `recursion yes;
	allow-recursion { 127.0.0.2; };
	qname-minimization off;
	port ` + upPort + `;`
		opts.Conf += "\n" + `zone "." { type hint; file "hints"; };`
		opts.Files["hints"] = ". 3600 IN NS ns.root.\nns.root. 3600 IN A 127.0.0.1\n"
	}
	named := testkit.StartNamed(t, opts)
	srv := startRacl(t, raclCorefile, cbUp, map[string]string{})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m := new(dns.Msg)
		m.SetQuestion("ns1.example.org.", dns.TypeA)
		if r := testkit.Exchange(t, "udp", "127.0.0.3", named.Addr, m); r.Rcode == dns.RcodeSuccess && r.Authoritative {
			break // BIND has loaded the zone
		}
		if time.Now().After(deadline) {
			t.Fatal("BIND did not load example.org")
		}
	}

	type result struct {
		rcode  int
		aa, ra bool
		answer string
		ede    bool
	}
	summary := func(r *dns.Msg) result {
		var answer []string
		for _, rr := range r.Answer {
			h := *rr.Header()
			h.Ttl = 0
			answer = append(answer, strings.TrimPrefix(rr.String(), rr.Header().String())+" "+h.String())
		}
		return result{r.Rcode, r.Authoritative, r.RecursionAvailable, strings.Join(answer, " | "), hasEDE(r, dns.ExtendedErrorCodeProhibited)}
	}

	for _, network := range []string{"udp", "tcp"} {
		fresh := network + ".fresh.outside.test."
		for _, tc := range []struct {
			what     string
			client   string
			name     string
			rd       bool
			want     result
			upstream int64 // queries the upstream gets for it
		}{
			{"denied: in-zone CNAME, target outside", "127.0.0.3", "alias.example.org.", true,
				result{dns.RcodeSuccess, true, false, "www.outside.test. alias.example.org.\t0\tIN\tCNAME\t", true}, 0},
			{"denied: in-zone CNAME, target outside, RD=0", "127.0.0.3", "alias.example.org.", false,
				result{dns.RcodeSuccess, true, false, "www.outside.test. alias.example.org.\t0\tIN\tCNAME\t", true}, 0},
			{"denied: authoritative data", "127.0.0.3", "www.example.org.", true,
				result{dns.RcodeSuccess, true, false, "192.0.2.80 www.example.org.\t0\tIN\tA\t", false}, 0},
			{"allowed RD=0: cache miss", "127.0.0.2", fresh, false,
				result{dns.RcodeSuccess, false, true, "", false}, 0},
			{"allowed RD=1: forwarded, AA cleared", "127.0.0.2", fresh, true,
				result{dns.RcodeSuccess, false, true, "198.51.100.7 " + fresh + "\t0\tIN\tA\t", false}, 1},
			{"allowed RD=0: cache hit, AA=0", "127.0.0.2", fresh, false,
				result{dns.RcodeSuccess, false, true, "198.51.100.7 " + fresh + "\t0\tIN\tA\t", false}, 0},
			{"allowed RD=1: cache hit, AA=0", "127.0.0.2", fresh, true,
				result{dns.RcodeSuccess, false, true, "198.51.100.7 " + fresh + "\t0\tIN\tA\t", false}, 0},
			{"allowed RD=0: local zone, AA=1", "127.0.0.2", "www.example.org.", false,
				result{dns.RcodeSuccess, true, true, "192.0.2.80 www.example.org.\t0\tIN\tA\t", false}, 0},
			{"denied: cached outside name refused", "127.0.0.3", fresh, true,
				result{dns.RcodeRefused, false, false, "", true}, 0},
		} {
			t.Run(network+"/"+tc.what, func(t *testing.T) {
				cbBefore, bindBefore := cbUp.queries.Load(), bindUp.queries.Load()
				m := new(dns.Msg)
				m.SetQuestion(tc.name, dns.TypeA)
				m.RecursionDesired = tc.rd
				m.SetEdns0(1232, false)
				cb := testkit.Exchange(t, network, tc.client, srv.addr[network], m.Copy())
				bind := testkit.Exchange(t, network, tc.client, named.Addr, m.Copy())
				if got, want := summary(cb), summary(bind); got != want {
					t.Errorf("corebind and BIND differ:\ncorebind %+v\nBIND     %+v\n%v\n%v", got, want, cb, bind)
				}
				if got := summary(cb); got != tc.want {
					t.Errorf("corebind %+v, want %+v", got, tc.want)
				}
				if n := cbUp.queries.Load() - cbBefore; n != tc.upstream {
					t.Errorf("corebind sent %d upstream queries, want %d", n, tc.upstream)
				}
				// From hints, BIND primes (and re-primes, when it likes)
				// its root servers: only a forwarding BIND's queries are
				// counted.
				if n := bindUp.queries.Load() - bindBefore; !hints && n != tc.upstream {
					t.Errorf("BIND sent %d upstream queries, want %d", n, tc.upstream)
				}
			})
		}
	}
}
