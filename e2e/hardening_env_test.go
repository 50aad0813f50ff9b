package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/miekg/dns"
)

// The hardening tests (hostile input, failure injection, reload under load,
// soak) run one deployment with all six plugins: an internal resolver
// that serves its own zones, response rate limiting that only logs (the
// tests' loads must not be limited), a parent reverse zone with an RFC 2317
// delegation, a stub zone whose primary is BIND 9, and recursion through
// forward to another BIND 9. Loopback plays the networks: 127.0.0.0/26 is
// the office (allowed to recurse), other 127.x sources are strangers,
// 127.0.0.1 is the operator (sees the real CH answers).

// hardeningOutside is the upstream BIND's zone: every name exists.
var hardeningOutside = testkit.Zone(`ns1     IN A   127.0.0.1
*       IN A   198.51.100.7
`)

// hardeningCorp is the stub zone at its primary. Its timers are short so
// that the failure tests see refresh, retry and expiry within seconds
// (stubzones' refresh-min is lowered to 1s for it).
func hardeningCorp(serial int, refresh, retry, expire int) string {
	return fmt.Sprintf(`$TTL 60
@       IN SOA ns1 hostmaster %d %d %d %d 60
@       IN NS  ns1
ns1     IN A   127.0.0.1
www     IN A   10.1.0.80
mail    IN A   10.1.0.25
`, serial, refresh, retry, expire)
}

// hardeningExampleOrg is served by corebind's file plugin: authoritative
// data, answered to everyone.
var hardeningExampleOrg = testkit.Zone(`ns1     IN A   127.0.0.1
www     IN A   192.0.2.80
alias   IN CNAME www
`)

// hardeningReverse is the parent reverse zone; rfc2317 adds the CNAMEs of
// 192.0.2.0/29, delegated to a customer.
const hardeningReverse = `$TTL 3600
@       IN SOA ns1.example.org. hostmaster.example.org. 1 7200 3600 1209600 3600
@       IN NS  ns1.example.org.
80      IN PTR www.example.org.
`

// hardeningOptions vary the deployment for one test.
type hardeningOptions struct {
	Corp     string // the stub zone's text at the primary; default hardeningCorp(1, 2, 1, 3600)
	Querylog string // the querylog directive's options; default a file in bind format with stats
	StubDir  string // stubzones' dir; default "stubs" (relative to corebind's directory)
	Timeouts string // a timeouts block, if any
	Dir      string // corebind's directory; default a new one
	// BeforeCore runs once the BIND servers are up, before corebind
	// starts: it may set Primaries and NSPort.
	BeforeCore func(e *hardeningEnv)
}

// hardeningEnv is a running deployment.
type hardeningEnv struct {
	Upstream *testkit.Named // behind forward: outside.test
	Primary  *testkit.Named // corp.example's primary
	Core     *testkit.CoreDNS
	Addr     string // corebind's DNS listener, 127.0.0.1:port
	Metrics  string // prometheus listener
	Pprof    string // pprof listener
	Stats    string // querylog's statistics listener
	corefile string
	opts     hardeningOptions
	// What stubzones' primaries and port lines say; default the primary's
	// address and port (it is then the zone's name server too).
	Primaries, NSPort string
}

// Clients, by what they may do.
const (
	hardeningOperator = "127.0.0.1"  // office, sees CH answers
	hardeningOffice   = "127.0.0.10" // office: may recurse
	hardeningStranger = "127.0.0.99" // the Internet: authoritative data only
)

// hardeningStart starts the two BIND servers and corebind, and waits until
// the stub zone has loaded.
func hardeningStart(t testing.TB, opts hardeningOptions) *hardeningEnv {
	t.Helper()
	testkit.Require(t, "named", "dig")
	if opts.Corp == "" {
		opts.Corp = hardeningCorp(1, 2, 1, 3600)
	}
	if opts.Querylog == "" {
		opts.Querylog = "output file queries.log\n\t\tstats {\n\t\t\tlisten STATS\n\t\t}"
	}
	if opts.StubDir == "" {
		opts.StubDir = "stubs"
	}
	e := &hardeningEnv{opts: opts}
	e.Upstream = testkit.StartNamed(t, testkit.NamedOptions{
		Conf:  `zone "outside.test" { type primary; file "outside.test.db"; };`,
		Files: map[string]string{"outside.test.db": hardeningOutside},
	})
	e.Primary = testkit.StartNamed(t, testkit.NamedOptions{
		Conf:  `zone "corp.example" { type primary; file "corp.example.db"; };`,
		Files: map[string]string{"corp.example.db": opts.Corp},
	})
	e.Primaries = e.Primary.Addr
	_, e.NSPort = hardeningSplit(e.Primary.Addr)
	if opts.BeforeCore != nil {
		opts.BeforeCore(e)
	}
	port := testkit.FreePort(t)
	e.Addr = testkit.HostPort("127.0.0.1", port)
	e.Metrics = testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	e.Pprof = testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	e.Stats = testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	e.corefile = e.makeCorefile(port)
	files := map[string]string{"db.example.org": hardeningExampleOrg, "db.2.0.192": hardeningReverse}
	if opts.Dir == "" {
		e.Core = testkit.StartCoreDNS(t, e.corefile, testkit.CoreDNSOptions{Wait: e.Addr, Files: files})
	} else {
		for name, content := range files {
			testkit.WriteFile(t, opts.Dir+"/"+name, content)
		}
		e.Core = testkit.StartCoreDNSIn(t, opts.Dir, e.corefile, testkit.CoreDNSOptions{Wait: e.Addr})
	}
	if !testkit.Eventually(30*time.Second, func() bool {
		r, err := testkit.TryExchange("udp", hardeningOffice, e.Addr, hardeningQuestion("www.corp.example.", dns.TypeA))
		return err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1
	}) {
		t.Fatalf("the stub zone corp.example did not load within 30s:\n%s", e.Core.Output())
	}
	return e
}

func (e *hardeningEnv) makeCorefile(port int) string {
	r := strings.NewReplacer(
		"PORT", fmt.Sprint(port),
		"METRICS", e.Metrics,
		"PPROF", e.Pprof,
		"QUERYLOG", strings.ReplaceAll(e.opts.Querylog, "STATS", e.Stats),
		"TIMEOUTS", e.opts.Timeouts,
		"STUBDIR", e.opts.StubDir,
		"PRIMARY", e.Primaries,
		"NPORT", e.NSPort,
		"UPSTREAM", e.Upstream.Addr,
	)
	return r.Replace(`.:PORT {
	bind 127.0.0.1
	errors
	prometheus METRICS
	pprof PPROF
	TIMEOUTS
	querylog {
		QUERYLOG
	}
	rrl {
		responses-per-second 50
		log-only
		log file rate-limit.log
	}
	chaosmask {
		version none
		reveal 127.0.0.1
	}
	chaos corebind
	recursionacl {
		acl office 127.0.0.0/26
		allow office
		log file security.log
	}
	cache
	rfc2317 2.0.192.in-addr.arpa {
		delegate 192.0.2.0/29 ns1.customer.example.
	}
	file db.example.org example.org
	file db.2.0.192 2.0.192.in-addr.arpa
	stubzones corp.example {
		primaries PRIMARY
		port NPORT
		dir STUBDIR
		refresh-min 1s
	}
	forward . UPSTREAM {
		max_fails 0
	}
}
`)
}

func hardeningSplit(addr string) (string, string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}

// hardeningQuestion is a query for name/qtype, class IN, RD set.
func hardeningQuestion(name string, qtype uint16) *dns.Msg {
	return new(dns.Msg).SetQuestion(name, qtype)
}

// Usage reads corebind's memory, goroutines and fds.
func (e *hardeningEnv) Usage(t testing.TB) testkit.Usage {
	t.Helper()
	return testkit.ReadUsage(t, e.Core.Pid(), e.Pprof)
}

// hardeningCheck sends the queries every test uses to tell the server
// still works, from an office client and a stranger, and fails the test
// unless each gets its documented answer.
func hardeningCheck(t testing.TB, network, addr string) {
	t.Helper()
	for _, c := range hardeningProbes {
		r, err := testkit.TryExchange(network, c.from, addr, c.msg())
		if err != nil {
			t.Errorf("%s %s from %s: %v", network, c.name, c.from, err)
			continue
		}
		if err := c.check(r); err != nil {
			t.Errorf("%s %s from %s: %v\n%v", network, c.name, c.from, err, r)
		}
	}
}

// hardeningProbe is one kind of query and the answer it must get.
type hardeningProbe struct {
	name  string
	from  string
	msg   func() *dns.Msg
	check func(*dns.Msg) error
}

func hardeningWant(rcode, answers int, ra bool) func(*dns.Msg) error {
	return func(r *dns.Msg) error {
		if r.Rcode != rcode || len(r.Answer) != answers || r.RecursionAvailable != ra {
			return fmt.Errorf("got %s with %d answers, RA %v; want %s with %d, RA %v",
				dns.RcodeToString[r.Rcode], len(r.Answer), r.RecursionAvailable, dns.RcodeToString[rcode], answers, ra)
		}
		return nil
	}
}

var hardeningProbes = []hardeningProbe{
	{"recursion", hardeningOffice, func() *dns.Msg { return hardeningQuestion("www.outside.test.", dns.TypeA) }, hardeningWant(dns.RcodeSuccess, 1, true)},
	{"recursion denied", hardeningStranger, func() *dns.Msg { return hardeningQuestion("www.outside.test.", dns.TypeA) }, hardeningWant(dns.RcodeRefused, 0, false)},
	{"authoritative", hardeningStranger, func() *dns.Msg { return hardeningQuestion("www.example.org.", dns.TypeA) }, hardeningWant(dns.RcodeSuccess, 1, false)},
	{"stub zone", hardeningOffice, func() *dns.Msg { return hardeningQuestion("www.corp.example.", dns.TypeA) }, hardeningWant(dns.RcodeSuccess, 1, true)},
	{"reverse delegated", hardeningStranger, func() *dns.Msg { return hardeningQuestion("3.2.0.192.in-addr.arpa.", dns.TypePTR) }, hardeningWant(dns.RcodeSuccess, 1, false)},
	{"reverse", hardeningOffice, func() *dns.Msg { return hardeningQuestion("80.2.0.192.in-addr.arpa.", dns.TypePTR) }, hardeningWant(dns.RcodeSuccess, 1, true)},
	{"CH masked", hardeningStranger, func() *dns.Msg {
		m := hardeningQuestion("version.bind.", dns.TypeTXT)
		m.Question[0].Qclass = dns.ClassCHAOS
		return m
	}, hardeningWant(dns.RcodeSuccess, 0, false)},
}
