package test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ctest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebind/corebind/internal/testkit"
)

// The authoritative zone of the recursionacl tests. alias points outside
// it, to a name only the upstream knows: a denied client must get the CNAME
// and nothing from the upstream.
var raclZone = testkit.Zone(`ns1     IN A   127.0.0.1
www     IN A   192.0.2.80
alias   IN CNAME www.outside.test.
big     IN TXT "0123456789012345678901234567890123456789012345678901234567890123456789"
big     IN TXT "1123456789012345678901234567890123456789012345678901234567890123456789"
big     IN TXT "2123456789012345678901234567890123456789012345678901234567890123456789"
`)

// raclUpstream is an in-process recursive upstream: it answers every A
// query with 198.51.100.7 and counts what it receives, so a test can assert
// that a denied client caused no upstream traffic.
type raclUpstream struct {
	addr    string
	queries atomic.Int64
	aa      atomic.Bool // answer with AA=1, as an authoritative server
}

func startRaclUpstream(t *testing.T) *raclUpstream {
	t.Helper()
	u := &raclUpstream{}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		u.queries.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		m.Authoritative = u.aa.Load()
		if q := r.Question[0]; q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.ParseIP("198.51.100.7")})
		}
		w.WriteMsg(m)
	})
	u.addr = testkit.HostPort("127.0.0.1", testkit.ServeDNS(t, "127.0.0.1", 0, h, nil))
	return u
}

// startRacl starts an in-process server from corefile, in which %[1]s is
// replaced by a directory holding db.example.org and files, and %[2]s by
// the upstream's address.
func startRacl(t *testing.T, corefile string, up *raclUpstream, files map[string]string) *raclServer {
	t.Helper()
	dir := t.TempDir()
	files["db.example.org"] = raclZone
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	upstream := "127.0.0.1:1"
	if up != nil {
		upstream = up.addr
	}
	if strings.Contains(corefile, "%[") {
		// Only then: Sprintf would append "%!(EXTRA …)" to a Corefile
		// without verbs, which caddy reads as a second server block on
		// port 53, and Servers()[0] is then one or the other.
		corefile = fmt.Sprintf(corefile, dir, upstream)
	}
	i, udp, tcp, err := ctest.CoreDNSServerAndPorts(onTestPort(t, corefile))
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	// Stop and run the shutdown callbacks, so no plugin goroutine (stubzones
	// refresh loops, log writers) outlives the test.
	t.Cleanup(func() { i.Stop(); i.ShutdownCallbacks() })
	return &raclServer{dir: dir, addr: map[string]string{"udp": raclLoopback(t, udp), "tcp": raclLoopback(t, tcp)}}
}

// raclServer is a started server: its directory and its address on
// 127.0.0.1 per network.
type raclServer struct {
	dir  string
	addr map[string]string
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

// raclLoopback returns addr's port on 127.0.0.1 (servers listen on every
// address).
func raclLoopback(t *testing.T, addr string) string {
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
	file %[1]s/db.example.org example.org
	forward . %[2]s
}
`

// TestRecursionACLMatrix runs allowed/denied × authoritative/recursive ×
// UDP/TCP × RD on/off × EDNS on/off over real sockets, with cache in the
// chain and a counting upstream behind forward.
func TestRecursionACLMatrix(t *testing.T) {
	up := startRaclUpstream(t)
	servers := startRacl(t, raclCorefile, up, map[string]string{}).addr

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

// TestRecursionACLCacheNeverLeaks: an allowed client warms the cache with
// a CNAME that file chases to an outside name; a denied client then gets
// the CNAME alone, nothing fetched or cached from elsewhere.
func TestRecursionACLCacheNeverLeaks(t *testing.T) {
	up := startRaclUpstream(t)
	servers := startRacl(t, raclCorefile, up, map[string]string{}).addr

	r, _, _ := raclQuery(t, "udp", "127.0.0.2", servers["udp"], "alias.example.org.", true, true)
	if len(r.Answer) != 2 || !r.RecursionAvailable {
		t.Fatalf("allowed client: want CNAME and A with RA, got\n%v", r)
	}
	// And the outside name itself is in the cache now.
	raclQuery(t, "udp", "127.0.0.2", servers["udp"], "www.outside.test.", true, true)
	warm := up.queries.Load()

	for _, network := range []string{"udp", "tcp"} {
		r, _, _ = raclQuery(t, network, "127.0.0.3", servers[network], "alias.example.org.", true, true)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || r.RecursionAvailable {
			t.Errorf("%s: denied client: want NOERROR AA=1 RA=0, got\n%v", network, r)
		}
		if len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeCNAME {
			t.Errorf("%s: denied client: want the CNAME alone, got %v", network, r.Answer)
		}
		r, _, _ = raclQuery(t, network, "127.0.0.3", servers[network], "www.outside.test.", true, true)
		if r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
			t.Errorf("%s: denied client got a cached recursive answer:\n%v", network, r)
		}
	}
	if n := up.queries.Load() - warm; n != 0 {
		t.Errorf("denied client caused %d upstream queries", n)
	}
	// The cache still serves the allowed client.
	r, _, _ = raclQuery(t, "udp", "127.0.0.2", servers["udp"], "alias.example.org.", true, true)
	if len(r.Answer) != 2 {
		t.Errorf("allowed client after the denied one: got %v", r.Answer)
	}
}

// TestRecursionACLDrop: deny drop sends nothing over UDP and closes TCP,
// while authoritative data is still answered.
func TestRecursionACLDrop(t *testing.T) {
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
		deny drop
	}
	cache
	file %[1]s/db.example.org example.org
	forward . %[2]s
}
`, up, map[string]string{})
	for network, addr := range srv.addr {
		m := new(dns.Msg)
		m.SetQuestion("www.outside.test.", dns.TypeA)
		c := &dns.Client{Net: network, Timeout: time.Second}
		if network == "tcp" {
			c.Dialer = &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}
		} else {
			c.Dialer = &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.0.0.3")}}
		}
		if r, _, err := c.Exchange(m, addr); err == nil {
			t.Errorf("%s: dropped query got a reply:\n%v", network, r)
		}
		r, _, _ := raclQuery(t, network, "127.0.0.3", addr, "www.example.org.", true, false)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.RecursionAvailable {
			t.Errorf("%s: authoritative answer to a denied client: got\n%v", network, r)
		}
	}
	if n := up.queries.Load(); n != 0 {
		t.Errorf("dropped queries caused %d upstream queries", n)
	}
}

// TestRecursionACLDetectsAuthoritativeData: with no authoritative line, the
// data of template, hosts, two file directives, dynupdate and auto (whose
// zones come and go) is answered to denied clients, and what those plugins pass on
// with fallthrough is refused without an upstream query.
func TestRecursionACLDetectsAuthoritativeData(t *testing.T) {
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
	}
	cache
	template IN A tmpl.test {
		match "^yes\.tmpl\.test\.$"
		answer "{{ .Name }} 60 IN A 192.0.2.53"
		fallthrough
	}
	hosts {
		192.0.2.10 host.hosts.test
		fallthrough
	}
	file %[1]s/db.example.org example.org
	file %[1]s/db.example.net example.net
	auto auto.test {
		directory %[1]s/auto db\.(.*) {1}
		reload 100ms
	}
	dynupdate dyn.test {
		file %[1]s/db.dyn.test
		allow update.key. * A
	}
	forward . %[2]s
}
`, up, map[string]string{
		"db.example.net": strings.ReplaceAll(raclZone, "192.0.2.80", "192.0.2.81"),
		"db.dyn.test":    strings.ReplaceAll(strings.ReplaceAll(raclZone, "192.0.2.80", "192.0.2.83"), "alias   IN CNAME www.outside.test.\n", ""),
		"auto/.keep":     "",
	})
	server := srv.addr["udp"]

	ask := func(name string, qtype uint16) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		c := &dns.Client{Timeout: 5 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.0.0.3")}}}
		r, _, err := c.Exchange(m, server)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.RecursionAvailable {
			t.Errorf("%s: RA=1 for a denied client", name)
		}
		return r
	}
	for _, tc := range []struct {
		name  string
		qtype uint16
		want  string // answer data; "" = REFUSED
		rcode int
	}{
		{"yes.tmpl.test.", dns.TypeA, "192.0.2.53", dns.RcodeSuccess},
		{"no.tmpl.test.", dns.TypeA, "", dns.RcodeRefused},
		{"host.hosts.test.", dns.TypeA, "192.0.2.10", dns.RcodeSuccess},
		{"host.hosts.test.", dns.TypeMX, "", dns.RcodeSuccess},
		{"10.2.0.192.in-addr.arpa.", dns.TypePTR, "host.hosts.test.", dns.RcodeSuccess},
		{"11.2.0.192.in-addr.arpa.", dns.TypePTR, "", dns.RcodeRefused},
		{"other.hosts.test.", dns.TypeA, "", dns.RcodeRefused},
		{"www.example.org.", dns.TypeA, "192.0.2.80", dns.RcodeSuccess},
		{"www.example.net.", dns.TypeA, "192.0.2.81", dns.RcodeSuccess},
		{"nx.example.net.", dns.TypeA, "", dns.RcodeNameError},
		{"www.dyn.test.", dns.TypeA, "192.0.2.83", dns.RcodeSuccess},
		{"www.auto.test.", dns.TypeA, "", dns.RcodeRefused}, // not loaded yet
	} {
		r := ask(tc.name, tc.qtype)
		got := ""
		if len(r.Answer) > 0 {
			got = strings.Fields(r.Answer[0].String())[4]
		}
		if r.Rcode != tc.rcode || got != tc.want {
			t.Errorf("%s %s: got %s %q, want %s %q", tc.name, dns.TypeToString[tc.qtype], dns.RcodeToString[r.Rcode], got, dns.RcodeToString[tc.rcode], tc.want)
		}
	}

	// A zone auto loads later is answered once loaded.
	zone := strings.ReplaceAll(raclZone, "192.0.2.80", "192.0.2.82")
	if err := os.WriteFile(filepath.Join(srv.dir, "auto", "db.auto.test"), []byte(zone), 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := ask("www.auto.test.", dns.TypeA)
		if r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1 && r.Authoritative {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the zone auto loaded is still refused:\n%v", r)
		}
	}
	if n := up.queries.Load(); n != 0 {
		t.Errorf("denied client caused %d upstream queries", n)
	}
}

// raclAsk queries name/A from the client address from and reports whether
// the client got recursion (the upstream's answer with RA=1) or a refusal;
// anything else fails the test.
func raclAsk(t *testing.T, server, from, name string) (recursed bool) {
	t.Helper()
	network := "udp"
	if strings.Contains(from, ":") {
		network = "tcp" // and IPv6 over TCP, for variety
	}
	r, _, _ := raclQuery(t, network, from, server, name, true, true)
	switch {
	case r.Rcode == dns.RcodeSuccess && r.RecursionAvailable && len(r.Answer) == 1:
		return true
	case r.Rcode == dns.RcodeRefused && !r.RecursionAvailable && len(r.Answer) == 0:
		return false
	}
	t.Fatalf("%s from %s: neither recursion nor refusal:\n%v", name, from, r)
	return false
}

// TestRecursionACLMatchOrder: first match wins in the order written, across
// negations and nested named acls (a negated match inside an acl is no
// match outside it), and localhost/localnets come from the interfaces.
func TestRecursionACLMatchOrder(t *testing.T) {
	up := startRaclUpstream(t)
	for _, tc := range []struct {
		name    string
		allow   string
		allowed []string
		denied  []string
	}{
		{"first match", "allow !127.0.0.3 127.0.0.0/29", []string{"127.0.0.2", "127.0.0.4"}, []string{"127.0.0.3", "127.0.0.9"}},
		{"order matters", "allow 127.0.0.0/29 !127.0.0.3", []string{"127.0.0.2", "127.0.0.3"}, []string{"127.0.0.9"}},
		{"repeated allow lines append", "allow !127.0.0.3\nallow 127.0.0.0/24", []string{"127.0.0.2"}, []string{"127.0.0.3"}},
		{"nested acls", "acl inner !127.0.0.4 127.0.0.0/29\nacl outer inner 127.0.0.16/28\nallow outer", []string{"127.0.0.2", "127.0.0.17"}, []string{"127.0.0.4", "127.0.0.9"}},
		{"negated inner match falls through", "acl inner !127.0.0.4 127.0.0.0/29\nallow inner 127.0.0.4", []string{"127.0.0.2", "127.0.0.4"}, []string{"127.0.0.9"}},
		{"negated acl", "acl bad 127.0.0.3 127.0.0.5\nallow !bad 127.0.0.0/24", []string{"127.0.0.2", "127.0.0.4"}, []string{"127.0.0.3", "127.0.0.5"}},
		{"localhost", "allow localhost", []string{"127.0.0.1", "::1"}, []string{"127.0.0.2"}},
		{"localnets", "allow !localhost localnets", []string{"127.0.0.2", "127.0.0.200"}, []string{"127.0.0.1", "::1"}},
		{"default is localhost and localnets", "", []string{"127.0.0.1", "127.0.0.2", "::1"}, nil},
		{"none", "allow none", nil, []string{"127.0.0.1", "::1"}},
		{"ipv6", "allow ::1 !127.0.0.0/8", []string{"::1"}, []string{"127.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRacl(t, `.:0 {
	recursionacl {
		`+strings.ReplaceAll(tc.allow, "%", "%%")+`
	}
	cache
	forward . %[2]s
}
`, up, map[string]string{})
			_, port, _ := net.SplitHostPort(srv.addr["tcp"])
			for _, list := range []struct {
				clients []string
				want    bool
			}{{tc.allowed, true}, {tc.denied, false}} {
				for _, c := range list.clients {
					server := srv.addr["udp"]
					if strings.Contains(c, ":") {
						server = net.JoinHostPort("::1", port)
					}
					if got := raclAsk(t, server, c, "www.outside.test."); got != list.want {
						t.Errorf("%s: recursion = %v, want %v", c, got, list.want)
					}
				}
			}
		})
	}
}

// TestRecursionACLAllowFileReload: the allow-file is replaced while clients
// query; the new list takes over, queries keep being answered throughout.
func TestRecursionACLAllowFileReload(t *testing.T) {
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow-file %[1]s/allow.acl
		reload 50ms
	}
	cache
	file %[1]s/db.example.org example.org
	forward . %[2]s
}
`, up, map[string]string{"allow.acl": "# resolvers\n127.0.0.2\n"})
	server := srv.addr["udp"]
	if !raclAsk(t, server, "127.0.0.2", "a.outside.test.") || raclAsk(t, server, "127.0.0.3", "a.outside.test.") {
		t.Fatal("initial allow-file not in force")
	}

	stop := make(chan struct{})
	errs := make(chan error, 1)
	go func() { // a client querying all along
		defer close(errs)
		c := &dns.Client{Timeout: 5 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.0.0.4")}}}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			m := new(dns.Msg)
			m.SetQuestion(fmt.Sprintf("q%d.example.org.", i), dns.TypeA)
			if _, _, err := c.Exchange(m, server); err != nil {
				errs <- err
				return
			}
		}
	}()

	tmp := filepath.Join(srv.dir, "allow.acl.new")
	if err := os.WriteFile(tmp, []byte("127.0.0.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(srv.dir, "allow.acl")); err != nil {
		t.Fatal(err)
	}
	for deadline, i := time.Now().Add(20*time.Second), 0; !raclAsk(t, server, "127.0.0.3", fmt.Sprintf("b%d.outside.test.", i)); i++ {
		if time.Now().After(deadline) {
			t.Fatal("the new allow-file was not loaded within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if raclAsk(t, server, "127.0.0.2", "c.outside.test.") {
		t.Error("the client removed from the allow-file still recurses")
	}
	close(stop)
	if err := <-errs; err != nil {
		t.Errorf("a query failed during the reload: %v", err)
	}
}

// TestRecursionACLAuthoritativeLine: the authoritative zones replace
// detection.
func TestRecursionACLAuthoritativeLine(t *testing.T) {
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
		authoritative example.net
	}
	cache
	hosts {
		192.0.2.10 www.example.net
		fallthrough
	}
	file %[1]s/db.example.org example.org
	forward . %[2]s
}
`, up, map[string]string{})
	r, _, _ := raclQuery(t, "udp", "127.0.0.3", srv.addr["udp"], "www.example.net.", true, false)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.RecursionAvailable {
		t.Errorf("zone named authoritative: got\n%v", r)
	}
	r, _, _ = raclQuery(t, "udp", "127.0.0.3", srv.addr["udp"], "www.example.org.", true, false)
	if r.Rcode != dns.RcodeRefused {
		t.Errorf("file zone left out of the authoritative line: got\n%v", r)
	}
	// A name of the named zone no plugin holds is passed on by hosts and
	// ends at recursionacl's barrier: REFUSED, nothing sent to forward.
	// (Before the barrier, forward got it with a cancelled context and the
	// client SERVFAIL, a bug the README listed.)
	r, _, _ = raclQuery(t, "udp", "127.0.0.3", srv.addr["udp"], "nowhere.example.net.", true, false)
	if r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
		t.Errorf("fall-through past the authoritative data: got\n%v", r)
	}
	if n := up.queries.Load(); n != 0 {
		t.Errorf("denied client caused %d upstream queries", n)
	}
}

// TestRecursionACLChaos: CH queries are outside recursion: chaos answers a
// denied client, and what nothing answers locally is not forwarded for it.
func TestRecursionACLChaos(t *testing.T) {
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	chaos corebind-test
	recursionacl {
		allow 127.0.0.2
	}
	cache
	forward . %[2]s
}
`, up, map[string]string{})
	ask := func(name string) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeTXT)
		m.Question[0].Qclass = dns.ClassCHAOS
		c := &dns.Client{Timeout: 5 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.0.0.3")}}}
		r, _, err := c.Exchange(m, srv.addr["udp"])
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := ask("version.bind."); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("version.bind: got\n%v", r)
	}
	if r := ask("other.bind."); r.Rcode == dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Errorf("other.bind: got\n%v", r)
	}
	if n := up.queries.Load(); n != 0 {
		t.Errorf("denied client's CH queries caused %d upstream queries", n)
	}
}

// TestRecursionACLTSIGKey: `key NAME` matches a query signed with that key
// once the tsig plugin has verified it; unsigned or otherwise signed
// queries do not match.
func TestRecursionACLTSIGKey(t *testing.T) {
	const secret = "c2VjcmV0LWZvci10aGUtcmVjdXJzaW9uYWNsLXRlc3Q="
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	tsig {
		secret resolver.key. `+secret+`
		secret other.key. `+secret+`
	}
	recursionacl {
		allow !127.0.0.3 key resolver.key
	}
	cache
	forward . %[2]s
}
`, up, map[string]string{})
	ask := func(from, key string) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion("signed.outside.test.", dns.TypeA)
		c := &dns.Client{Timeout: 5 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}}
		if key != "" {
			m.SetTsig(key, dns.HmacSHA256, 300, time.Now().Unix())
			c.TsigSecret = map[string]string{key: secret}
		}
		r, _, err := c.Exchange(m, srv.addr["udp"])
		if err != nil {
			t.Fatalf("from %s with key %q: %v", from, key, err)
		}
		return r
	}
	if r := ask("127.0.0.2", "resolver.key."); r.Rcode != dns.RcodeSuccess || !r.RecursionAvailable || len(r.Answer) != 1 {
		t.Errorf("signed with the listed key: got\n%v", r)
	}
	if r := ask("127.0.0.2", ""); r.Rcode != dns.RcodeRefused {
		t.Errorf("unsigned: got\n%v", r)
	}
	if r := ask("127.0.0.2", "other.key."); r.Rcode != dns.RcodeRefused {
		t.Errorf("signed with another key: got\n%v", r)
	}
	if r := ask("127.0.0.3", "resolver.key."); r.Rcode != dns.RcodeRefused || r.IsTsig() == nil {
		t.Errorf("first match: the address is refused before the key is looked at, the refusal signed: got\n%v", r)
	}
}

// TestRecursionACLDenialLogFail2ban: the file output holds one BIND line per
// denial, which fail2ban's stock named-refused filter matches, extracting
// the client address; authoritative answers are not logged; a flood from one
// client is rate-limited.
func TestRecursionACLDenialLogFail2ban(t *testing.T) {
	testkit.Require(t, "fail2ban-regex")
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
		log file %[1]s/security.log
		log-rate 0.01 3
	}
	cache
	file %[1]s/db.example.org example.org
	forward . %[2]s
}
`, up, map[string]string{})
	server := srv.addr["udp"]
	raclQuery(t, "udp", "127.0.0.3", server, "www.outside.test.", true, true)
	raclQuery(t, "tcp", "127.0.0.5", srv.addr["tcp"], "tcp.outside.test.", false, false)
	raclQuery(t, "udp", "127.0.0.3", server, "www.example.org.", true, true)   // authoritative: no line
	raclQuery(t, "udp", "127.0.0.2", server, "ok.outside.test.", true, true)   // allowed: no line
	raclQuery(t, "udp", "127.0.0.3", server, "alias.example.org.", true, true) // the chase is denied, and logged as BIND does
	for i := range 10 {                                                        // a flood: 1 more line within the burst of 3
		raclQuery(t, "udp", "127.0.0.3", server, fmt.Sprintf("flood%d.outside.test.", i), true, false)
	}

	path := filepath.Join(srv.dir, "security.log")
	var lines []string
	for deadline := time.Now().Add(20 * time.Second); len(lines) < 4; time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(path)
		lines = strings.Split(strings.TrimSpace(string(data)), "\n")
		if time.Now().After(deadline) {
			t.Fatalf("denial log has %d lines, want 4:\n%s", len(lines), data)
		}
	}
	time.Sleep(300 * time.Millisecond) // the writer flushes every 100 ms: anything more would be there now
	data, _ := os.ReadFile(path)
	lines = strings.Split(strings.TrimSpace(string(data)), "\n")
	want := []string{
		`security: info: client @0x[0-9a-f]+ 127\.0\.0\.3#\d+ \(www\.outside\.test\): query \(cache\) 'www\.outside\.test/A/IN' denied$`,
		`security: info: client @0x[0-9a-f]+ 127\.0\.0\.5#\d+ \(tcp\.outside\.test\): query \(cache\) 'tcp\.outside\.test/A/IN' denied$`,
		`security: info: client @0x[0-9a-f]+ 127\.0\.0\.3#\d+ \(alias\.example\.org\): query \(cache\) 'www\.outside\.test/A/IN' denied$`,
		`security: info: client @0x[0-9a-f]+ 127\.0\.0\.3#\d+ \(flood0\.outside\.test\): query \(cache\) 'flood0\.outside\.test/A/IN' denied$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("denial log has %d lines, want %d:\n%s", len(lines), len(want), data)
	}
	for i, re := range want {
		if !regexp.MustCompile(`^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} ` + re).MatchString(lines[i]) {
			t.Errorf("line %d:\n %s\ndoes not match\n %s", i+1, lines[i], re)
		}
	}

	out, err := exec.Command("fail2ban-regex", "-o", "ip", path, "/etc/fail2ban/filter.d/named-refused.conf").CombinedOutput()
	if err != nil {
		t.Fatalf("fail2ban-regex: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); strings.Join(got, " ") != "127.0.0.3 127.0.0.5 127.0.0.3 127.0.0.3" {
		t.Errorf("fail2ban's named-refused filter found %q, want the client of each line", got)
	}
}

// TestRecursionACLDenialLogSyslog: over syslog the line has no BIND time
// prefix: the syslog header carries the time.
func TestRecursionACLDenialLogSyslog(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
		log syslog udp://`+pc.LocalAddr().String()+`
		facility local3
		tag named
	}
	forward . %[2]s
}
`, nil, map[string]string{})
	raclQuery(t, "udp", "127.0.0.3", srv.addr["udp"], "www.outside.test.", true, true)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no syslog message: %v", err)
	}
	// RFC 5424: <local3.info = 19*8+6>1 TIME HOST named PID security - MSG
	re := regexp.MustCompile(`^<158>1 \S+ \S+ named \d+ security - client @0x[0-9a-f]+ 127\.0\.0\.3#\d+ \(www\.outside\.test\): query \(cache\) 'www\.outside\.test/A/IN' denied$`)
	if !re.Match(buf[:n]) {
		t.Errorf("syslog message %q", buf[:n])
	}
}

// TestRecursionACLProxyProtocol: behind a PROXY protocol load balancer the
// client is the address in the header, not the balancer's.
func TestRecursionACLProxyProtocol(t *testing.T) {
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	proxyproto {
		allow 127.0.0.1/32
	}
	recursionacl {
		allow 127.0.0.2
	}
	cache
	forward . %[2]s
}
`, up, map[string]string{})
	_, port, _ := net.SplitHostPort(srv.addr["tcp"])
	for client, want := range map[string]int{"127.0.0.2": dns.RcodeSuccess, "127.0.0.3": dns.RcodeRefused} {
		conn, err := net.DialTimeout("tcp", srv.addr["tcp"], 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "PROXY TCP4 %s 127.0.0.1 40000 %s\r\n", client, port)
		m := new(dns.Msg)
		m.SetQuestion("proxied.outside.test.", dns.TypeA)
		dc := &dns.Conn{Conn: conn}
		if err := dc.WriteMsg(m); err != nil {
			t.Fatal(err)
		}
		r, err := dc.ReadMsg()
		conn.Close()
		if err != nil {
			t.Fatalf("client %s via PROXY: %v", client, err)
		}
		if r.Rcode != want {
			t.Errorf("client %s via PROXY: %s, want %s", client, dns.RcodeToString[r.Rcode], dns.RcodeToString[want])
		}
	}
}

// TestRecursionACLServerBlockKeys: a block with two zones (two keys, one
// listener) shares one recursionacl; its metrics carry the listener's
// server label.
func TestRecursionACLServerBlockKeys(t *testing.T) {
	up := startRaclUpstream(t)
	port := testkit.FreePort(t)
	srv := startRacl(t, fmt.Sprintf(`example.org:%[3]d example.net:%[3]d {
	recursionacl {
		allow 127.0.0.2 127.0.0.9
	}
	cache
	file %%[1]s/db.example.org example.org
	forward . %%[2]s
}
`, "", "", port), up, map[string]string{})
	server := srv.addr["udp"]
	if r, _, _ := raclQuery(t, "udp", "127.0.0.3", server, "www.example.org.", true, false); r.Rcode != dns.RcodeSuccess || r.RecursionAvailable {
		t.Errorf("first key, authoritative: got\n%v", r)
	}
	if r, _, _ := raclQuery(t, "udp", "127.0.0.3", server, "www.example.net.", true, false); r.Rcode != dns.RcodeRefused {
		t.Errorf("second key, denied: got\n%v", r)
	}
	if r, _, _ := raclQuery(t, "udp", "127.0.0.2", server, "www.example.net.", true, false); r.Rcode != dns.RcodeSuccess || !r.RecursionAvailable {
		t.Errorf("second key, allowed: got\n%v", r)
	}

	label := fmt.Sprintf("dns://:%d", port)
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["server"] != label {
				continue
			}
			switch f.GetName() {
			case "coredns_recursionacl_entries":
				found["entries"] = m.GetGauge().GetValue()
			case "coredns_recursionacl_requests_total":
				found[labels["result"]] = m.GetCounter().GetValue()
			}
		}
	}
	want := map[string]float64{"entries": 2, "authoritative": 1, "denied": 1, "allowed": 1}
	if fmt.Sprint(found) != fmt.Sprint(want) {
		t.Errorf("metrics for %s: %v, want %v", label, found, want)
	}
}

// TestRecursionACLRFC2317Child: on an RFC 2317 child server the original
// names N.2.0.192.in-addr.arpa are the child's own data although no zone
// holds them: rfc2317 says so (the Authority method), and a denied client
// gets them; other reverse names are recursion.
func TestRecursionACLRFC2317Child(t *testing.T) {
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
	}
	cache
	rfc2317 {
		child 192.0.2.0/29
	}
	file %[1]s/child.db 0/29.2.0.192.in-addr.arpa
	forward . %[2]s
}
`, up, map[string]string{"child.db": `$TTL 3600
@ IN SOA ns1.customer.example. hostmaster.customer.example. 7 7200 3600 1209600 300
@ IN NS  ns1.customer.example.
3 IN PTR www.customer.example.
`})
	ask := func(name string) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypePTR)
		return testkit.Exchange(t, "udp", "127.0.0.3", srv.addr["udp"], m)
	}
	if r := ask("3.2.0.192.in-addr.arpa."); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 || r.RecursionAvailable {
		t.Errorf("the child's original name: got\n%v", r)
	}
	if r := ask("9.2.0.192.in-addr.arpa."); r.Rcode != dns.RcodeRefused {
		t.Errorf("outside the child's block: got\n%v", r)
	}
	if n := up.queries.Load(); n != 0 {
		t.Errorf("denied client caused %d upstream queries", n)
	}
}

// TestRecursionACLStubZones: stub zones are recursion: a denied client gets
// REFUSED for names in them, and no query for its name reaches the stub
// zone's servers, while an allowed client gets the stub zone's referral.
func TestRecursionACLStubZones(t *testing.T) {
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Options: "querylog yes;",
		Conf:    `zone "stub.test" { type primary; file "stub.test.db"; };`,
		Files: map[string]string{"stub.test.db": testkit.Zone(`ns1  IN A   127.0.0.1
www  IN A   192.0.2.99
`)},
	})
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
	}
	cache
	stubzones stub.test {
		primaries `+named.Addr+`
	}
}
`, nil, map[string]string{})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r, _, _ := raclQuery(t, "udp", "127.0.0.2", srv.addr["udp"], "www.stub.test.", false, false)
		if len(r.Ns) > 0 && r.Ns[0].Header().Rrtype == dns.TypeNS {
			break // the stub zone is loaded: RD=0 gets its referral
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stub zone did not load:\n%v", r)
		}
	}
	for _, rd := range []bool{false, true} {
		for _, network := range []string{"udp", "tcp"} {
			r, _, _ := raclQuery(t, network, "127.0.0.3", srv.addr[network], "www.stub.test.", rd, true)
			if r.Rcode != dns.RcodeRefused || len(r.Ns)+len(r.Answer) != 0 || !hasEDE(r, dns.ExtendedErrorCodeProhibited) {
				t.Errorf("denied client, %s, rd=%v: got\n%v", network, rd, r)
			}
		}
	}
	if n := strings.Count(named.Output(), "query: www.stub.test"); n != 0 {
		t.Errorf("the stub zone's server got %d queries for the denied client's name", n)
	}
}

// TestRecursionACLIgnoresECS: an EDNS Client Subnet option naming an
// allowed network does not make a denied client allowed, nor the reverse.
func TestRecursionACLIgnoresECS(t *testing.T) {
	up := startRaclUpstream(t)
	srv := startRacl(t, raclCorefile, up, map[string]string{})
	ask := func(from, subnet string) int {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion("ecs.outside.test.", dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_SUBNET{
			Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 32, Address: net.ParseIP(subnet).To4(),
		})
		return testkit.Exchange(t, "udp", from, srv.addr["udp"], m).Rcode
	}
	if rc := ask("127.0.0.3", "127.0.0.2"); rc != dns.RcodeRefused {
		t.Errorf("denied client claiming an allowed subnet: %s", dns.RcodeToString[rc])
	}
	if rc := ask("127.0.0.2", "127.0.0.3"); rc != dns.RcodeSuccess {
		t.Errorf("allowed client claiming a denied subnet: %s", dns.RcodeToString[rc])
	}
}

// TestRecursionACLSecondary: a zone secondary transfers from BIND is
// authoritative data, fallthrough or not: its names are answered to a
// denied client, names it passes on are refused.
func TestRecursionACLSecondary(t *testing.T) {
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Options: "allow-transfer { any; };",
		Conf:    `zone "sec.test" { type primary; file "sec.test.db"; };`,
		Files: map[string]string{"sec.test.db": testkit.Zone(`ns1  IN A   127.0.0.1
www  IN A   192.0.2.98
`)},
	})
	up := startRaclUpstream(t)
	srv := startRacl(t, `.:0 {
	recursionacl {
		allow 127.0.0.2
	}
	cache
	secondary sec.test {
		transfer from `+named.Addr+`
		fallthrough
	}
	forward . %[2]s
}
`, up, map[string]string{})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r, _, _ := raclQuery(t, "udp", "127.0.0.3", srv.addr["udp"], "www.sec.test.", true, false)
		if r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1 && r.Authoritative && !r.RecursionAvailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the secondary zone is not answered to a denied client:\n%v", r)
		}
	}
	if r, _, _ := raclQuery(t, "udp", "127.0.0.3", srv.addr["udp"], "nx.sec.test.", true, false); r.Rcode != dns.RcodeRefused {
		t.Errorf("a name secondary passes on with fallthrough: got\n%v", r)
	}
	if n := up.queries.Load(); n != 0 {
		t.Errorf("denied client caused %d upstream queries", n)
	}
}
