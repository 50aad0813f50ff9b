package querylog

import (
	"net/netip"

	"github.com/miekg/dns"
)

// hunt holds the Space-Saving tables for hunting trouble: failing names by
// class and the clients sent the most bytes. Guarded by the stats mutex.
type hunt struct {
	failed  [failClasses]*spaceSaving[string, struct{}]
	senders *spaceSaving[netip.Addr, struct{}] // counted in bytes sent
	rcodes  [rcodeClasses]uint64               // every query, by response
}

// The response codes counted over all queries (hunt.rcodes); a query
// without a reply counts as other.
const (
	rcodeNoError = iota
	rcodeNXDomain
	rcodeServFail
	rcodeRefused
	rcodeOther
	rcodeClasses
)

// The response classes whose names are tracked, in the order of hunt.failed:
// that of their rcode classes, from rcodeNXDomain.
const (
	failNXDomain = iota
	failServFail
	failRefused
	failClasses
)

// failNames are the JSON keys and summary prefixes of the classes.
var failNames = [failClasses]string{"nxdomain", "servfail", "refused"}

func newHunt(top, names int) hunt {
	var h hunt
	for i := range h.failed {
		h.failed[i] = newSpaceSaving[string, struct{}](names)
	}
	h.senders = newSpaceSaving[netip.Addr, struct{}](top)
	return h
}

// add counts a query whose rcodeClass is rc; name is the case-folded name as
// the names table holds it (no allocation: the string is shared).
func (h *hunt) add(rec *record, rc int, addr netip.Addr, name string) {
	h.rcodes[rc]++
	if rc >= rcodeNXDomain && rc <= rcodeRefused {
		t := h.failed[rc-rcodeNXDomain]
		sl, _ := t.slot(name)
		t.add(sl, 1)
	}
	if rec.size > 0 {
		sl, _ := h.senders.slot(addr)
		h.senders.add(sl, uint64(rec.size))
	}
}

// rcodeClass is the index of a query's response in hunt.rcodes.
func rcodeClass(rec *record) int {
	if !rec.responded {
		return rcodeOther
	}
	switch rec.rcode {
	case dns.RcodeSuccess:
		return rcodeNoError
	case dns.RcodeNameError:
		return rcodeNXDomain
	case dns.RcodeServerFailure:
		return rcodeServFail
	case dns.RcodeRefused:
		return rcodeRefused
	}
	return rcodeOther
}

func (h *hunt) reset() {
	h.rcodes = [rcodeClasses]uint64{}
	for _, t := range h.failed {
		t.reset()
	}
	h.senders.reset()
}

// huntSnapshot is a copy of the hunt tables, sorted by guaranteed count.
type huntSnapshot struct {
	Failed      [failClasses][]entry[string, struct{}]
	FailedBound [failClasses]uint64
	Senders     []entry[netip.Addr, struct{}]
	SenderBound uint64
	Rcodes      [rcodeClasses]uint64
}

func (h *hunt) snapshot() huntSnapshot {
	hs := huntSnapshot{Rcodes: h.rcodes}
	for i, t := range h.failed {
		hs.Failed[i] = entries(t, same)
		hs.FailedBound[i] = t.min()
	}
	hs.Senders = entries(h.senders, same)
	hs.SenderBound = h.senders.min()
	return hs
}
