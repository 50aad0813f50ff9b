package rfc2317

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

// pollEvery is how often the watcher asks the zones beside rfc2317 whether
// their serial changed. An unchanged zone costs one SOA on a channel.
const pollEvery = 5 * time.Second

// watcher reads the zones served beside rfc2317 through their Transferers (no
// network) when their serial changes, for the SOA minimum (default TTL), glue
// and conflicts, and publishes that to each block's rendered pointer.
type watcher struct {
	c     *core
	every time.Duration

	mu       sync.Mutex                            // serialises rounds
	next     atomic.Pointer[[]transfer.Transferer] // for Transfer too, without waiting on a round
	origins  map[string]*origin                    // zones found beside us, by name
	rendered bool                                  // the blocks have been rendered once
	warned   map[*block]bool                       // configuration warnings given
	polled   map[string]bool                       // names asked this round, zones or not
	changed  bool                                  // a zone changed this round

	stopOnce sync.Once
	quit     chan struct{}
	done     chan struct{}
}

// origin is a zone served beside rfc2317.
type origin struct {
	tr     transfer.Transferer
	loaded bool
	serial uint32
	soa    *dns.SOA
	glue   map[string][]dns.RR // A/AAAA records of the name servers
	// The zone's own NS and their in-zone addresses: the authority section of
	// CNAME and ANY answers, where a BIND parent does not follow the CNAME.
	apexNS   []dns.RR
	apexGlue []dns.RR
	// problems found in the zone, logged when they change
	conflicts []string
	err       string // last load error, logged when it changes
}

func newWatcher(c *core) *watcher {
	return &watcher{c: c, every: pollEvery, origins: map[string]*origin{}, warned: map[*block]bool{}, quit: make(chan struct{}), done: make(chan struct{})}
}

// start reads the zones once, so conflicts are reported at startup and the
// first query already has the zone's TTL, then keeps polling until stop.
func (w *watcher) start(next []transfer.Transferer) {
	w.next.Store(&next)
	w.round()
	go func() {
		defer close(w.done)
		t := time.NewTicker(w.every)
		defer t.Stop()
		for {
			select {
			case <-w.quit:
				return
			case <-t.C:
				w.round()
			}
		}
	}()
}

// transferers are the Transferers after rfc2317 in the server block.
func (w *watcher) transferers() []transfer.Transferer {
	if p := w.next.Load(); p != nil {
		return *p
	}
	return nil
}

// stop ends the polling goroutine; a reload's new instance has its own.
func (w *watcher) stop() {
	w.stopOnce.Do(func() {
		close(w.quit)
		if w.next.Load() != nil { // started
			<-w.done
		}
	})
}

// round polls every zone of interest and republishes when anything changed (always at first).
func (w *watcher) round() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.polled, w.changed = map[string]bool{}, false
	for _, b := range w.c.blocks {
		if !b.child {
			w.find(b.rev24)
			w.find(b.zone)
		} else if w.find(b.zone) != b.zone && !w.warned[b] {
			w.warned[b] = true
			log.Warningf("child %s (line %d): no zone %s is served after rfc2317 in this server block; original names get the CNAME alone", b.prefix, b.line, b.zone)
		}
	}
	for _, b := range w.c.blocks {
		for _, ns := range b.ns {
			w.find(ns)
		}
	}
	if !w.changed && w.rendered {
		return
	}
	w.rendered = true
	for _, b := range w.c.blocks {
		w.render(b)
	}
}

// find returns the zone beside us holding name, polling it once per round.
func (w *watcher) find(name string) string {
	for a := name; ; {
		if !w.polled[a] {
			w.polled[a] = true
			w.poll(a)
		}
		if w.origins[a] != nil {
			return a
		}
		if a == "." {
			return ""
		}
		if i, end := dns.NextLabel(a, 0); end {
			a = "."
		} else {
			a = a[i:]
		}
	}
}

// poll asks a known zone for changes since the serial last read, or the
// Transferers whether a is one of their zones.
func (w *watcher) poll(a string) {
	if o := w.origins[a]; o != nil {
		ch, err := o.tr.Transfer(a, o.serial)
		w.read(a, o, ch, err)
		return
	}
	for _, tr := range w.transferers() {
		ch, err := tr.Transfer(a, 0)
		if errors.Is(err, transfer.ErrNotAuthoritative) {
			continue
		}
		o := &origin{tr: tr}
		w.origins[a] = o
		w.changed = true
		w.read(a, o, ch, err)
		return
	}
}

// setErr records and logs once a zone that cannot be read.
func (w *watcher) setErr(a string, o *origin, err error) {
	msg := err.Error()
	if o.err == msg && !o.loaded {
		return
	}
	o.err, o.loaded, o.serial = msg, false, 0
	w.changed = true
	log.Warningf("zone %s beside rfc2317 cannot be read (%s): synthesized records use TTL %d until it can", a, msg, w.fallbackTTL())
}

func (w *watcher) fallbackTTL() uint32 {
	if w.c.ttlSet {
		return w.c.ttl
	}
	return defaultTTL
}

// read records the outcome of a Transfer of zone a, consuming its stream to
// the end (the sender blocks otherwise); a change sets changed.
func (w *watcher) read(a string, o *origin, ch <-chan []dns.RR, err error) {
	if err != nil {
		w.setErr(a, o, err)
		return
	}
	s := &scan{c: w.c, zone: a, glue: map[string][]dns.RR{}, ns: map[*block][]string{}, addrs: map[string][]dns.RR{}}
	n := 0
	var soa *dns.SOA
	for rrs := range ch {
		for _, rr := range rrs {
			if n == 0 {
				soa, _ = rr.(*dns.SOA)
			}
			n++
			if soa != nil {
				s.add(rr)
			}
		}
	}
	if soa == nil {
		w.setErr(a, o, errors.New("the transfer did not start with a SOA"))
		return
	}
	if n == 1 && o.loaded && soa.Serial == o.serial {
		return
	}
	w.changed = true
	o.loaded, o.err, o.serial = true, "", soa.Serial
	o.soa = dns.Copy(soa).(*dns.SOA)
	o.glue = s.glue
	o.apexNS, o.apexGlue = s.apex()
	problems := s.finish()
	if !slices.Equal(problems, o.conflicts) {
		for _, p := range problems {
			if !slices.Contains(o.conflicts, p) {
				log.Error(p)
			}
		}
		o.conflicts = problems
	}
}

// render publishes what the query path needs of b, from the zones found this round.
func (w *watcher) render(b *block) {
	rd := &rendered{ttl: w.fallbackTTL(), origin: w.find(b.zone)}
	if !b.child {
		rd.origin, rd.childHere = w.find(b.rev24), w.find(b.zone) == b.zone
	}
	o := w.origins[rd.origin]
	if !w.c.ttlSet && o != nil && o.soa != nil {
		rd.ttl = o.soa.Minttl
	}
	for _, ns := range b.ns {
		rd.ns = append(rd.ns, &dns.NS{Hdr: dns.RR_Header{Name: b.zone, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: rd.ttl}, Ns: ns})
		if nso := w.origins[w.find(ns)]; nso != nil {
			rd.glue = append(rd.glue, nso.glue[ns]...)
		}
	}
	if o != nil && len(o.apexNS) > 0 {
		rd.apexNS, rd.apexGlue = o.apexNS, o.apexGlue
		if len(rd.apexGlue) == 0 {
			// Out-of-zone name servers: what other zones beside hold.
			for _, ns := range o.apexNS {
				rd.apexGlue = append(rd.apexGlue, w.glueFor(ns.(*dns.NS).Ns)...)
			}
		}
	}
	// Full slices: a plugin appending to a response section must copy,
	// never write into the array that every response shares.
	rd.ns = slices.Clip(rd.ns)
	rd.glue = slices.Clip(rd.glue)
	rd.apexNS = slices.Clip(rd.apexNS)
	rd.apexGlue = slices.Clip(rd.apexGlue)
	b.r.Store(rd)
}

// glueFor is what the zones beside hold of a delegation name server's addresses.
func (w *watcher) glueFor(name string) []dns.RR {
	name = strings.ToLower(name)
	for _, o := range w.origins {
		if g := o.glue[name]; len(g) > 0 {
			return g
		}
	}
	return nil
}

// Problems returns the problems last logged for the zones beside rfc2317, sorted.
func (w *watcher) Problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var all []string
	for name, o := range w.origins {
		if o.err != "" {
			all = append(all, fmt.Sprintf("zone %s: %s", name, o.err))
		}
		all = append(all, o.conflicts...)
	}
	slices.Sort(all)
	return all
}

// scan looks at a zone's records on behalf of the blocks.
type scan struct {
	c      *core
	zone   string
	glue   map[string][]dns.RR
	ns     map[*block][]string // NS records the zone has at our child zones
	issues []string
	apexNS []dns.RR            // the zone's own NS records
	addrs  map[string][]dns.RR // in-zone A/AAAA, for the apex NS glue; dropped after the scan
}

// apex returns the zone's NS records and their in-zone glue.
func (s *scan) apex() (ns, glue []dns.RR) {
	for _, rr := range s.apexNS {
		glue = append(glue, s.addrs[strings.ToLower(rr.(*dns.NS).Ns)]...)
	}
	return s.apexNS, glue
}

func (s *scan) add(rr dns.RR) {
	h := rr.Header()
	owner := strings.ToLower(h.Name)
	switch h.Rrtype {
	case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3:
		return // DNSSEC bookkeeping follows the data it covers
	case dns.TypeNS:
		if _, ok := rr.(*dns.NS); ok && owner == s.zone {
			s.apexNS = append(s.apexNS, dns.Copy(rr))
		}
	case dns.TypeA, dns.TypeAAAA:
		if dns.IsSubDomain(s.zone, owner) {
			s.addrs[owner] = append(s.addrs[owner], dns.Copy(rr))
		}
		if s.c.nsNames[owner] {
			s.glue[owner] = append(s.glue[owner], dns.Copy(rr))
			return
		}
	}
	k, b, octet := s.c.table.classify(owner)
	switch k {
	case kindCNAME:
		if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Target, b.target(octet)) {
			return // the same CNAME written by hand: harmless
		}
		s.issues = append(s.issues, fmt.Sprintf("conflict: zone %s has %q where rfc2317 answers CNAME %s (delegate %s, line %d); a CNAME cannot have other data, so that %s is never served: remove it from the zone",
			s.zone, rr.String(), b.target(octet), b.prefix, b.line, dns.TypeToString[h.Rrtype]))
	case kindChild:
		s.issues = append(s.issues, fmt.Sprintf("conflict: zone %s has %q where rfc2317 answers CNAME %s (child %s, line %d); that %s is never served: remove it from the zone",
			s.zone, rr.String(), b.target(octet), b.prefix, b.line, dns.TypeToString[h.Rrtype]))
	case kindCut:
		if owner == b.zone {
			switch h.Rrtype {
			case dns.TypeNS:
				s.ns[b] = append(s.ns[b], strings.ToLower(rr.(*dns.NS).Ns))
				return
			case dns.TypeDS:
				return // the child's DS is parent-side data, served from the zone
			}
		}
		s.issues = append(s.issues, fmt.Sprintf("conflict: zone %s has %q below the delegation of %s to %s (delegate %s, line %d); it is never served: remove it from the zone",
			s.zone, rr.String(), b.zone, strings.Join(b.ns, " "), b.prefix, b.line))
	}
}

// finish compares hand-written NS at our child zones with the delegate lines, sorted.
func (s *scan) finish() []string {
	for b, ns := range s.ns {
		slices.Sort(ns)
		want := slices.Sorted(slices.Values(b.ns))
		if !slices.Equal(slices.Compact(ns), want) {
			s.issues = append(s.issues, fmt.Sprintf("conflict: zone %s has NS records at %s (%s) that differ from delegate %s (line %d: %s); rfc2317's are served: remove them from the zone",
				s.zone, b.zone, strings.Join(ns, " "), b.prefix, b.line, strings.Join(want, " ")))
		}
	}
	slices.Sort(s.issues)
	return s.issues
}
