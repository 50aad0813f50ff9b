// Package stubzones implements BIND-style stub zones.
package stubzones

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/plugin/pkg/upstream"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// Stubzones serves the stub zones of one server block.
type Stubzones struct {
	Next plugin.Handler

	zones  map[string]*zone // by lower-case name
	order  []*zone          // configuration order
	clock  Clock
	jitter func(time.Duration) time.Duration
	up     *upstream.Upstream
	health *health

	server string // metrics label outside queries; set at startup
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ plugin.Handler            = (*Stubzones)(nil)
	_ interface{ Ready() bool } = (*Stubzones)(nil)
)

// New returns a Stubzones without zones, on the system clock.
func New() *Stubzones {
	return &Stubzones{
		zones:  map[string]*zone{},
		clock:  realClock{},
		jitter: jitter,
		up:     upstream.New(),
		health: newHealth(),
	}
}

func (s *Stubzones) addZone(name string, o *options) error {
	if _, dup := s.zones[name]; dup {
		return fmt.Errorf("zone %s is configured twice", name)
	}
	z := &zone{name: name, opts: o, kick: make(chan struct{}, 1)}
	if o.dir != "" {
		z.file = zonePath(o.dir, name)
	}
	s.zones[name] = z
	s.order = append(s.order, z)
	return nil
}

// match returns the stub zone holding qname, the longest match: one map
// lookup per label, without allocating for lower-case names.
func (s *Stubzones) match(qname string) *zone {
	q := strings.ToLower(qname)
	for off, end := 0, false; !end; off, end = dns.NextLabel(q, off) {
		if z, ok := s.zones[q[off:]]; ok {
			return z
		}
	}
	return s.zones["."]
}

// Name implements plugin.Handler.
func (s *Stubzones) Name() string { return pluginName }

// Ready implements ready.Readiness: true once every stub zone has data that
// has not expired, from disk or from a primary.
func (s *Stubzones) Ready() bool {
	now := s.clock.Now()
	for _, z := range s.order {
		if z.usable(now) == nil {
			return false
		}
	}
	return true
}

// ServeDNS implements plugin.Handler.
func (s *Stubzones) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	q := r.Question[0]
	z := s.match(q.Name)
	if z == nil || q.Qclass != dns.ClassINET {
		return plugin.NextOrFailure(s.Name(), s.Next, ctx, w, r)
	}
	state := request.Request{W: w, Req: r}

	switch {
	case r.Opcode == dns.OpcodeNotify:
		return s.serveNotify(ctx, state, z)
	case r.Opcode != dns.OpcodeQuery:
		return plugin.NextOrFailure(s.Name(), s.Next, ctx, w, r)
	case q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR:
		// A stub zone is not ours to transfer (BIND answers the same).
		return reply(state, false, dns.RcodeNotAuth, nil, nil, nil)
	}

	d := z.usable(s.clock.Now())
	if d == nil {
		why := fmt.Sprintf("stub zone %s has no data or has expired", z.name)
		return servfail(state, dns.ExtendedErrorCodeNoReachableAuthority, why, errors.New(why))
	}
	if !r.RecursionDesired {
		// The zone's NS and in-zone glue, as BIND answers.
		return reply(state, false, dns.RcodeSuccess, nil, copyRRs(d.ns), copyRRs(d.glue))
	}
	// Iteratively through the zone's name servers (AA=0, RA=1); CNAMEs
	// leaving the zone go back to the server.
	res, err := s.lookupName(ctx, state, z, d.top, state.Name(), z.name)
	if err != nil {
		return resolveFailed(state, z, err)
	}
	return reply(state, false, res.rcode, res.answer, res.ns, nil)
}

// reply writes a reply with recursion available and AA set to aa.
func reply(state request.Request, aa bool, rcode int, answer, ns, extra []dns.RR) (int, error) {
	m := new(dns.Msg)
	m.SetRcode(state.Req, rcode)
	m.Authoritative = aa
	m.RecursionAvailable = true
	m.Answer, m.Ns, m.Extra = answer, ns, extra
	state.SizeAndDo(m)
	state.W.WriteMsg(m)
	if !plugin.ClientWrite(rcode) {
		return dns.RcodeSuccess, nil // written: the server must not write again
	}
	return rcode, nil
}

// servfail writes SERVFAIL with an EDE and returns RcodeSuccess (the reply is
// written) and err for the errors plugin.
func servfail(state request.Request, code uint16, why string, err error) (int, error) {
	m := dnsreply.Error(state.Req, dns.RcodeServerFailure, 0, code, why)
	m.RecursionAvailable = true
	state.W.WriteMsg(m)
	return dns.RcodeSuccess, fmt.Errorf("%s: %s: %w", pluginName, state.Name(), err)
}

// errList is errors.Join on one line, for logs.
type errList []error

func (e errList) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (e errList) Unwrap() []error { return e }

func copyRRs(rrs []dns.RR) []dns.RR {
	c := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		c[i] = dns.Copy(rr)
	}
	return c
}

// OnStartup loads each zone's saved copy, then starts its refresh loop.
// server is the metrics label for work done outside queries.
func (s *Stubzones) OnStartup(server string) error {
	s.server = server
	now := s.clock.Now()
	for _, z := range s.order {
		if z.file == "" {
			continue
		}
		if err := makeDir(z.opts.dir); err != nil {
			return plugin.Error(pluginName, err)
		}
		d, err := load(z.file, z.name, z.opts)
		switch {
		case err == nil && !now.Before(d.expires):
			log.Warningf("Zone %s: the copy in %s expired at %s; not serving it", z.name, z.file, d.expires.UTC().Format(time.RFC3339))
		case err == nil:
			z.data.Store(d)
			log.Infof("Zone %s: serial %d loaded from %s, expires in %s", z.name, d.soa.Serial, z.file, d.expires.Sub(now).Round(time.Second))
		case !errors.Is(err, fs.ErrNotExist):
			log.Errorf("Zone %s: ignoring %s: %v", z.name, z.file, err)
		}
	}
	collector.add(s)

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, z := range s.order {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.run(ctx, z)
		}()
	}
	return nil
}

// OnShutdown stops the refresh loops and waits for them, so a reload leaves
// no goroutine and no write behind.
func (s *Stubzones) OnShutdown() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	collector.remove(s)
	return nil
}

// jitter takes up to a quarter off d, as BIND does, so zones loaded together
// do not refresh together.
func jitter(d time.Duration) time.Duration {
	if d < 4 {
		return d
	}
	return d - rand.N(d/4)
}

// serverOf is the metrics server label of a query.
func serverOf(ctx context.Context) string { return metrics.WithServer(ctx) }
