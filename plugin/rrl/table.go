package rrl

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// class is BIND's response type (dns_rrl_rtype_t): which rate applies and
// what the account is keyed by.
type class uint8

const (
	classResponse class = iota // a positive answer: qname, qtype, qclass
	classReferral              // a delegation: the delegation point, qclass
	classNodata                // NOERROR without an answer: the query name, qclass
	classNxdomain              // NXDOMAIN: the zone
	classError                 // any other rcode: the client prefix alone
	classAll                   // all-per-second: the client prefix alone
	classTCP                   // qps-scale only: a client that used TCP recently
	numClasses
)

// String is the metric label value and the word in the log lines.
func (c class) String() string {
	switch c {
	case classResponse:
		return "response"
	case classReferral:
		return "referral"
	case classNodata:
		return "nodata"
	case classNxdomain:
		return "nxdomain"
	case classError:
		return "error"
	case classAll:
		return "all"
	}
	return "tcp"
}

// verdict is what becomes of one response.
type verdict uint8

const (
	pass verdict = iota
	slip         // sent truncated (TC=1) and empty, so a real client retries over TCP
	drop         // not sent
)

// key identifies one account: BIND's dns_rrl_key_t. It is a comparable
// value of fixed size, so looking it up in the map allocates nothing.
type key struct {
	prefix [16]byte // client address masked to ipv4-/ipv6-prefix-length
	v6     bool
	class  class
	qclass uint16
	qtype  uint16
	name   uint32 // hash of the account's name, case-folded
}

// entry is one account. responses is the token balance: positive credit,
// or a debt down to -window*rate; ts is the second of the last debit.
type entry struct {
	key       key
	responses int32
	slipCnt   int32
	ts        int64
	logSecs   int32 // seconds since the last start/continue line, while logged
	logged    bool  // a "limit" line was written; a "stop limiting" one is due
	listed    bool  // the slot is in the limiter's list of logged slots
	name      string
	prev      int32 // LRU list: towards the most recently used
	next      int32 // LRU list: towards the least recently used
}

// A table lookup returns this for "no entry"; entries are slice indices so
// the list costs no pointers for the garbage collector to scan.
const none = -1

// Time travel beyond this many seconds into the past is a clock change
// (BIND's DNS_RRL_MAX_TIME_TRAVEL).
const maxTimeTravel = 5

// forever is the age of an entry that has never been debited.
const forever = 1 << 30

// table is the bounded account table (map, slots, LRU list): at max entries it
// recycles the least recently used, so a spoofed flood costs max entries. mu held.
type table struct {
	mu      sync.Mutex
	index   map[key]int32
	entries []entry
	max     int
	head    int32        // most recently used
	tail    int32        // least recently used
	logged  int          // entries with a "limit" line and no "stop" line yet
	size    atomic.Int64 // len(entries), readable without mu for the metric
}

func newTable(min, max int) *table {
	return &table{
		index:   make(map[key]int32, min),
		entries: make([]entry, 0, min),
		max:     max,
		head:    none,
		tail:    none,
	}
}

// Len is the number of accounts.
func (t *table) Len() int { return int(t.size.Load()) }

// age is the seconds since e's last debit, as BIND counts: slightly future is
// no time, far future (clock went back) is forever.
func age(e *entry, now int64) int {
	if e.ts == 0 {
		return forever
	}
	d := now - e.ts
	switch {
	case d >= forever:
		return forever
	case d >= 0:
		return int(d)
	case d < -maxTimeTravel:
		return forever
	}
	return 0
}

// get returns the slot index of k's account (the slice may grow), creating it;
// recycled sees a logged entry before it is thrown out.
func (t *table) get(k key, now int64, balance func(*entry, int) int, recycled func(*entry)) int32 {
	if i, ok := t.index[k]; ok {
		t.touch(i)
		return i
	}
	i, fresh := t.free(now, balance)
	e := &t.entries[i]
	if !fresh {
		if e.logged {
			recycled(e)
			t.logged--
		}
		delete(t.index, e.key)
	}
	*e = entry{key: k, prev: e.prev, next: e.next, listed: e.listed}
	t.index[k] = i
	t.touch(i)
	return i
}

// free finds a slot as BIND does: the LRU entry if idle, else a new slot below
// max, else the LRU entry anyway. fresh reports a new slot.
func (t *table) free(now int64, balance func(*entry, int) int) (i int32, fresh bool) {
	if i := t.tail; i != none {
		e := &t.entries[i]
		if a := age(e, now); a > 1 && !e.logged && balance(e, a) > 0 {
			return i, false
		}
	}
	if len(t.entries) < t.max {
		t.entries = append(t.entries, entry{prev: none, next: none})
		t.size.Store(int64(len(t.entries)))
		i := int32(len(t.entries) - 1)
		t.pushFront(i)
		return i, true
	}
	return t.tail, false
}

// touch makes slot i the most recently used.
func (t *table) touch(i int32) {
	if t.head == i {
		return
	}
	t.unlink(i)
	t.pushFront(i)
}

func (t *table) unlink(i int32) {
	e := &t.entries[i]
	if e.prev != none {
		t.entries[e.prev].next = e.next
	} else if t.head == i {
		t.head = e.next
	}
	if e.next != none {
		t.entries[e.next].prev = e.prev
	} else if t.tail == i {
		t.tail = e.prev
	}
	e.prev, e.next = none, none
}

func (t *table) pushFront(i int32) {
	e := &t.entries[i]
	e.prev, e.next = none, t.head
	if t.head != none {
		t.entries[t.head].prev = i
	}
	t.head = i
	if t.tail == none {
		t.tail = i
	}
}

// maskAddr masks the client's address to its family's prefix length.
func maskAddr(a netip.Addr, v4bits, v6bits int) (p [16]byte, v6 bool) {
	if a.Is4() {
		pf, _ := a.Prefix(v4bits)
		b := pf.Addr().As4()
		copy(p[:], b[:])
		return p, false
	}
	pf, _ := a.Prefix(v6bits)
	return pf.Addr().As16(), true
}

// hashName is FNV-1a over the name folded to lower case, without the
// trailing dot's distinction (example.org and example.org. are one name).
func hashName(name string) uint32 {
	if n := len(name); n > 1 && name[n-1] == '.' {
		name = name[:n-1]
	}
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}
