package querylog

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
)

// Defaults of the stats block.
const (
	defaultTop   = 100
	defaultNames = 100
	// clientNames is how many query names each tracked client keeps.
	clientNames = 5
)

// stats are one directive's per-client and per-name statistics, in memory
// bounded by its top and names slots whatever the number of clients.
type stats struct {
	mu      sync.Mutex
	since   time.Time
	queries uint64
	clients *spaceSaving[netip.Addr, clientCounters]
	names   *spaceSaving[string, nameCounters]
	seen    distinct // distinct clients overall
	seed    uint64
	hist    history // queries per second and per minute
	hunt    hunt    // failing names by class, clients by bytes sent
}

// clientCounters count exactly from when the client took its slot, except the
// Space-Saving count.
type clientCounters struct {
	rcodes         [rcodeClasses]uint64 // by response, as hunt.rcodes
	rd, tcp        uint64
	received, sent uint64 // bytes
	first, last    int64  // Unix nanoseconds
	names          [clientNames]nameCount
}

// nameCount is an entry of a client's own small Space-Saving table of names.
type nameCount struct {
	name  string
	count uint64
}

// nameCounters are a tracked query name's counters besides its count.
type nameCounters struct {
	clients distinct
}

func newStats(top, names int, now time.Time) *stats {
	s := &stats{
		since:   now,
		clients: newSpaceSaving[netip.Addr, clientCounters](top),
		names:   newSpaceSaving[string, nameCounters](names),
		seen:    newDistinct(4096),
		seed:    rand.Uint64(),
		hunt:    newHunt(top, names),
	}
	// Allocate every name's sketch now, not on the query path; insert
	// leaves slot values alone.
	all := s.names.slots[:cap(s.names.slots)]
	for i := range all {
		all[i].v.clients = newDistinct(256)
	}
	return s
}

// add counts one query. It is called on the query path: no allocation but
// for a new query name that is not in lower case.
func (s *stats) add(rec *record) {
	addr := rec.client.Addr()
	h := hashAddr(addr, s.seed)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries++
	s.seen.add(h)
	s.hist.add(rec.time)

	ns := s.nameSlot(rec.qname)
	s.names.add(ns, 1)
	ns.v.clients.add(h)
	name := ns.key
	rc := rcodeClass(rec)
	s.hunt.add(rec, rc, addr, name)

	cs, taken := s.clients.slot(addr)
	if taken {
		cs.v = clientCounters{first: rec.time}
	}
	s.clients.add(cs, 1)
	c := &cs.v
	c.last = rec.time
	c.rcodes[rc]++
	if rec.flags&bindfmt.RD != 0 {
		c.rd++
	}
	if rec.flags&bindfmt.TCP != 0 {
		c.tcp++
	}
	c.received += uint64(rec.reqSize)
	c.sent += uint64(rec.size)
	c.countName(name)
}

// nameSlot returns qname's slot, case-folded, taking one if it is untracked.
func (s *stats) nameSlot(qname string) *ssSlot[string, nameCounters] {
	name := qname
	if hasUpper(qname) {
		var buf [256]byte
		folded := foldName(buf[:0], qname)
		if i, ok := s.names.index[string(folded)]; ok { // a lookup does not allocate
			return &s.names.slots[i]
		}
		name = string(folded) // the one allocation: a new mixed-case name
	}
	ns, taken := s.names.slot(name)
	if taken {
		ns.v.clients.reset()
	}
	return ns
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// countName counts name in the client's small Space-Saving table. Names are
// the names table's keys, so equal names are equal strings.
func (c *clientCounters) countName(name string) {
	low := 0
	for i := range c.names {
		n := &c.names[i]
		if n.name == name {
			n.count++
			return
		}
		if n.count < c.names[low].count {
			low = i
		}
	}
	c.names[low].name = name
	c.names[low].count++
}

// foldName appends name in lower case (ASCII, as DNS compares names).
func foldName(b []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// tracked returns the number of tracked clients.
func (s *stats) tracked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients.len()
}

// resetSnapshot returns the statistics and clears them, at once: no query
// is counted in neither (POST /reset).
func (s *stats) resetSnapshot(now time.Time) *snapshot {
	s.mu.Lock()
	snap := s.copyLocked(now)
	s.since = now
	s.queries = 0
	s.seen.reset()
	for i := range s.clients.slots {
		s.clients.slots[i].v = clientCounters{} // let go of the names
	}
	s.clients.reset()
	s.names.reset()
	s.hist.reset()
	s.hunt.reset()
	s.mu.Unlock()
	snap.sort()
	return snap
}

// snapshot is a copy of the statistics, sorted by count, for the JSON
// endpoint and the interval summary.
type snapshot struct {
	Since      time.Time
	Now        time.Time
	Queries    uint64
	Clients    uint64 // distinct clients seen (estimated beyond 16)
	Top, Slots int    // configured top and names slots
	ErrorBound uint64 // no tracked client count is over by more
	NameBound  uint64 // the same for names
	Tracked    []entry[netip.Addr, clientCounters]
	Names      []entry[string, uint64] // the value: distinct clients
	Hist       historySnapshot
	Hunt       huntSnapshot
}

func (s *stats) snapshot(now time.Time) *snapshot {
	s.mu.Lock()
	snap := s.copyLocked(now)
	s.mu.Unlock()
	snap.sort()
	return snap
}

func (s *stats) copyLocked(now time.Time) *snapshot {
	return &snapshot{
		Since:      s.since,
		Now:        now,
		Queries:    s.queries,
		Clients:    s.seen.count(),
		Top:        cap(s.clients.slots),
		Slots:      cap(s.names.slots),
		ErrorBound: s.clients.min(),
		NameBound:  s.names.min(),
		Tracked:    entries(s.clients, same),
		Names:      entries(s.names, func(n *nameCounters) uint64 { return n.clients.count() }),
		Hist:       s.hist.snapshot(now),
		Hunt:       s.hunt.snapshot(),
	}
}

// sort orders every table by guaranteed count (sortEntries); called
// outside the stats mutex.
func (snap *snapshot) sort() {
	sortEntries(snap.Tracked, netip.Addr.Compare)
	sortEntries(snap.Names, cmp.Compare[string])
	for _, f := range snap.Hunt.Failed {
		sortEntries(f, cmp.Compare[string])
	}
	sortEntries(snap.Hunt.Senders, netip.Addr.Compare)
}

// topNames returns the client's names by count, descending.
func (c *clientCounters) topNames() []nameCount {
	var top []nameCount
	for _, n := range c.names {
		if n.count > 0 {
			top = append(top, n)
		}
	}
	slices.SortFunc(top, func(a, b nameCount) int {
		return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.name, b.name))
	})
	return top
}
