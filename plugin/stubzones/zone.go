package stubzones

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Bounds on what a primary or a name server can make us keep.
const (
	maxNS         = 20 // name servers kept per NS set
	maxAddrsPerNS = 8  // addresses kept per name server
	maxGlue       = 64 // addresses kept per NS set
)

// Timers.
const (
	maxExpire     = 24 * 7 * 24 * time.Hour // BIND's DNS_MAX_EXPIRE
	firstRetry    = 5 * time.Second         // first retry of a zone that has never loaded
	notifyHoldoff = time.Second             // NOTIFYs start at most one refresh a second
	tsigFudge     = 300                     // seconds of clock skew a TSIG signature allows
)

// options are those of one stubzones directive, shared by its zones.
type options struct {
	primaries  []netip.AddrPort
	dir        string
	tsig       *tsigKey
	refreshMin time.Duration
	refreshMax time.Duration
	maxDepth   int
	port       uint16 // of the name servers learned from the zone
}

type tsigKey struct{ name, algorithm, secret string }

// isPrimary reports whether ip is one of the primaries.
func (o *options) isPrimary(ip netip.Addr) bool {
	ip = ip.Unmap()
	return slices.ContainsFunc(o.primaries, func(p netip.AddrPort) bool { return p.Addr() == ip })
}

// zone is one stub zone: options, current data, and the NOTIFY refresh channel.
type zone struct {
	name string // lower case, fully qualified
	opts *options
	file string // where its copy is kept; "" without dir

	data atomic.Pointer[stubData]
	kick chan struct{} // a NOTIFY asks for a refresh now
	next atomic.Uint32 // round-robin start among its name servers
}

// notify asks the refresh loop for a refresh now; requests coalesce.
func (z *zone) notify() {
	select {
	case z.kick <- struct{}{}:
	default:
	}
}

// usable returns the zone's data if it has any and it has not expired.
func (z *zone) usable(now time.Time) *stubData {
	d := z.data.Load()
	if d == nil || !now.Before(d.expires) {
		return nil
	}
	return d
}

// stubData is one immutable copy of a stub zone (apex SOA and NS, in-zone
// glue, provenance), read by queries without locks.
type stubData struct {
	soa  *dns.SOA
	ns   []dns.RR // *dns.NS at the apex
	glue []dns.RR // *dns.A and *dns.AAAA of in-zone name servers
	top  *nsSet   // ns and glue, for resolution; read-only

	fetched time.Time // last successful refresh
	primary string    // who answered it
	refresh time.Duration
	retry   time.Duration
	expires time.Time
}

// newStubData builds zone data from a primary's or saved records: one apex SOA,
// at least one NS, in-zone glue; it drops the excess and fails on unusable copies.
func newStubData(zone string, soa *dns.SOA, ns []*dns.NS, addrs []dns.RR, o *options, fetched time.Time, primary string) (*stubData, error) {
	if soa == nil || !strings.EqualFold(soa.Hdr.Name, zone) {
		return nil, fmt.Errorf("no SOA at %s", zone)
	}
	d := &stubData{soa: soa, fetched: fetched, primary: primary, top: &nsSet{cut: zone}}
	for _, n := range ns {
		if !strings.EqualFold(n.Hdr.Name, zone) {
			return nil, fmt.Errorf("NS record for %s, not the apex %s", n.Hdr.Name, zone)
		}
		if slices.Contains(d.top.names, strings.ToLower(n.Ns)) {
			continue
		}
		if len(d.ns) == maxNS {
			log.Warningf("Zone %s has more than %d name servers; keeping the first %d", zone, maxNS, maxNS)
			break
		}
		d.top.add(n.Ns)
		d.ns = append(d.ns, n)
	}
	if len(d.ns) == 0 {
		return nil, fmt.Errorf("no NS records at %s", zone)
	}
	// Glue is kept as top keeps addresses: deduplicated and bounded.
	for _, rr := range addrs {
		if dns.IsSubDomain(zone, rr.Header().Name) && rr.Header().Class == dns.ClassINET && d.top.addAddr(rr, o.port) {
			d.glue = append(d.glue, rr)
		}
	}
	d.refresh, d.retry, d.expires = timers(soa, o, fetched)
	return d, nil
}

// timers derives refresh, retry and expiry from the SOA as BIND does (clamped
// to [refresh-min, refresh-max]; expiry in [refresh+retry, 24 weeks]).
func timers(soa *dns.SOA, o *options, from time.Time) (refresh, retry time.Duration, expires time.Time) {
	refresh = clamp(time.Duration(soa.Refresh)*time.Second, o.refreshMin, o.refreshMax)
	retry = clamp(time.Duration(soa.Retry)*time.Second, o.refreshMin, o.refreshMax)
	expire := clamp(time.Duration(soa.Expire)*time.Second, refresh+retry, maxExpire)
	return refresh, retry, from.Add(expire)
}

func clamp(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}

// renewed is d confirmed by a refresh at t: same records, new lifetime.
func (d *stubData) renewed(t time.Time, primary string) *stubData {
	n := *d
	n.fetched, n.primary = t, primary
	n.expires = t.Add(d.expires.Sub(d.fetched))
	return &n
}

// describe lists the name servers with their addresses, for logs:
// "ns1.example.org. (127.0.0.1 ::1), ns.example.net.".
func (d *stubData) describe() string {
	servers := make([]string, len(d.top.names))
	for i, name := range d.top.names {
		servers[i] = name
		if addrs := d.top.addrs[name]; len(addrs) > 0 {
			ips := make([]string, len(addrs))
			for j, a := range addrs {
				ips[j] = a.Addr().String()
			}
			servers[i] += " (" + strings.Join(ips, " ") + ")"
		}
	}
	return strings.Join(servers, ", ")
}

// records returns every record of d, SOA first, for saving.
func (d *stubData) records() []dns.RR {
	return slices.Concat([]dns.RR{d.soa}, d.ns, d.glue)
}
