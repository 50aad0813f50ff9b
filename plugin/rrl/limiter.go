package rrl

import (
	"net/netip"
	"time"
)

// BIND's limits on the rate-limit options (lib/dns/include/dns/rrl.h).
const (
	maxRate        = 1000 // DNS_RRL_MAX_RATE
	maxSlip        = 10   // DNS_RRL_MAX_SLIP
	maxWindow      = 3600 // DNS_RRL_MAX_WINDOW
	maxV6Prefix    = 64   // DNS_RRL_MAX_PREFIX
	defaultMinSize = 500
	defaultMaxSize = 20000

	// BIND's DNS_RRL_MAX_LOG_SECS and DNS_RRL_STOP_LOG_SECS; stop lines per
	// second are bounded so logging never stalls the query path.
	maxLogSecs      = 1800
	stopLogSecs     = 60
	stopLinesPerSec = 8
)

// settings are the parsed options, BIND's defaults filled in.
type settings struct {
	rates    [numClasses]int32 // responses per second by class; 0: no limit
	window   int32
	slip     int32
	v4bits   int
	v6bits   int
	logOnly  bool
	minSize  int
	maxSize  int
	qpsScale int32 // 0: no scaling
}

func defaultSettings() settings {
	return settings{window: 15, slip: 2, v4bits: 24, v6bits: 56, minSize: defaultMinSize, maxSize: defaultMaxSize}
}

// eventKind is the kind of a rate-limit log line.
type eventKind uint8

const (
	evLimit     eventKind = iota // "limit ..." (first limited response of an account)
	evContinue                   // "continue limiting ..." (every half hour of limiting)
	evStop                       // "stop limiting ..." (a minute quiet, back in credit)
	evEarlyStop                  // "*stop limiting ..." (thrown out of the table, or shutdown)
)

// event is one rate-limit log line as plain values, formatted by the log writer.
type event struct {
	time    time.Time
	kind    eventKind
	logOnly bool
	class   class
	prefix  netip.Prefix
	name    string
	qclass  uint16
	qtype   uint16
	hash    uint32
	rcode   int
}

// limiter is BIND's rate limiter (lib/dns/rrl.c): per-account tokens credited
// per second, debited per response, debt bounded by window*rate.
type limiter struct {
	s     settings
	t     *table
	stops int // seconds without a limited response before "stop limiting"

	// Under t.mu:
	scaled       [numClasses]int32 // rates as scaled by qps-scale
	slipScaled   int32
	qps          float64
	qpsResponses int
	qpsTime      int64
	stopsTime    int64   // the last second log stops were looked for
	loggedSlots  []int32 // slots that may be logged, for log stops
	events       []event // lines made under the lock, handed out after it

	emit func(event) // the log; nil: no log
}

func newLimiter(s settings, emit func(event)) *limiter {
	l := &limiter{s: s, t: newTable(s.minSize, s.maxSize), stops: stopLogSecs, emit: emit, qps: 1}
	l.scaled = s.rates
	l.slipScaled = s.slip
	return l
}

// query is what the limiter needs of one response.
type query struct {
	addr   netip.Addr
	tcp    bool
	class  class
	qclass uint16
	qtype  uint16
	name   string // the account's name (qname, zone or delegation point)
	rcode  int
}

// account debits the response's account (and the client's all-per-second
// account) at second now and says what to do with the response.
func (l *limiter) account(now int64, q *query) verdict {
	if q.tcp && l.s.qpsScale == 0 {
		return pass // TCP is never limited; only qps-scale notes it
	}
	t := l.t
	t.mu.Lock()
	scale := l.scale(now)
	if t.logged > 0 && l.stopsTime != now {
		l.logStops(now, stopLinesPerSec)
	}
	if q.tcp {
		if scale < 1 {
			i := t.get(l.key(q, classTCP), now, l.balance, l.recycled)
			e := &t.entries[i]
			e.responses = -(l.s.window + 1)
			e.ts = now
		}
		l.unlock()
		return pass
	}
	v, idx := pass, int32(none)
	if l.s.rates[q.class] != 0 {
		idx = t.get(l.key(q, q.class), now, l.balance, l.recycled)
		v = l.debit(idx, scale, q, now)
	}
	if l.s.rates[classAll] != 0 {
		i := t.get(l.key(q, classAll), now, l.balance, l.recycled)
		if va := l.debit(i, scale, q, now); va != pass {
			// The all-per-second limit decides the log line when both hit.
			v, idx = va, i
		}
	}
	if v != pass && l.emit != nil {
		l.logLimit(idx, q, now)
	}
	l.unlock()
	return v
}

// unlock releases the table and hands the lines made under it to the log.
func (l *limiter) unlock() {
	if len(l.events) == 0 {
		l.t.mu.Unlock()
		return
	}
	evs := l.events
	l.events = nil
	l.t.mu.Unlock()
	for _, ev := range evs {
		l.emit(ev)
	}
}

// key is q's key for an account of class c.
func (l *limiter) key(q *query, c class) key {
	k := key{class: c}
	k.prefix, k.v6 = maskAddr(q.addr, l.s.v4bits, l.s.v6bits)
	switch c {
	case classResponse:
		k.qtype, k.qclass = q.qtype, q.qclass&0xff
		k.name = hashName(q.name)
	case classReferral, classNodata:
		// No qtype: their answer sections are empty, so they count as one.
		k.qclass = q.qclass & 0xff
		k.name = hashName(q.name)
	case classNxdomain:
		k.name = hashName(q.name)
	}
	return k
}

// scale estimates the server's responses per second for qps-scale and
// returns the factor the rates are scaled by (1: none).
func (l *limiter) scale(now int64) float64 {
	if l.s.qpsScale == 0 {
		return 1
	}
	l.qpsResponses++
	qps := l.qps
	if secs := now - l.qpsTime; secs > 0 {
		qps = float64(l.qpsResponses) / float64(secs)
		if secs >= int64(l.s.window) {
			l.qps, l.qpsResponses, l.qpsTime = qps, 0, now
		} else if qps < l.qps {
			qps = l.qps
		}
	}
	if qps <= 0 {
		return 1
	}
	return float64(l.s.qpsScale) / qps
}

// balance is e's credit after age seconds, at most one second's worth.
func (l *limiter) balance(e *entry, age int) int {
	rate := 1
	if e.key.class != classTCP {
		rate = int(l.scaled[e.key.class])
	}
	if age > maxWindow {
		return rate
	}
	b := int(e.responses) + age*rate
	return min(b, rate)
}

// debit charges one response to the account in slot i: BIND's
// debit_rrl_entry.
func (l *limiter) debit(i int32, scale float64, q *query, now int64) verdict {
	t := l.t
	e := &t.entries[i]
	c := e.key.class
	rate := l.s.rates[c]
	if scale < 1 {
		// Clients that used TCP within the window keep the full rate.
		tk := l.key(q, classTCP)
		if j, ok := t.index[tk]; ok && age(&t.entries[j], now) < int(l.s.window) {
			scale = 1
		}
	}
	if scale < 1 {
		rate = max(1, int32(float64(rate)*scale))
	}
	l.scaled[c] = rate
	debt := -l.s.window * rate

	// Credit the seconds since the last debit; an account idle longer
	// than the window starts afresh.
	if a := age(e, now); a > 0 {
		if a > int(l.s.window) {
			e.responses, e.slipCnt = rate, 0
		} else {
			e.responses += rate * int32(a)
			if e.responses > rate {
				e.responses, e.slipCnt = rate, 0
			}
		}
		if e.logged {
			e.logSecs = int32(min(int(e.logSecs)+a, maxLogSecs))
		}
	}
	e.ts = now

	e.responses--
	if e.responses >= 0 {
		return pass
	}
	if e.responses < debt {
		e.responses = debt
	}
	n := l.s.slip
	if n > 2 && scale < 1 {
		n = max(2, int32(float64(n)*scale))
	}
	l.slipScaled = n
	// Every n'th limited response slips, from the first; never the all-per-second
	// account or errors (BIND drops them: a truncated REFUSED tells a client nothing).
	if n != 0 && c != classAll && c != classError {
		e.slipCnt++
		first := e.slipCnt == 1
		if e.slipCnt >= n {
			e.slipCnt = 0
		}
		if first {
			return slip
		}
	}
	return drop
}

// logLimit writes "limit" at an account's first limited response, then "continue limiting" half-hourly.
func (l *limiter) logLimit(i int32, q *query, now int64) {
	e := &l.t.entries[i]
	if e.logged && e.logSecs < maxLogSecs {
		return
	}
	kind := evContinue
	if !e.logged {
		kind = evLimit
		e.logged = true
		e.name = q.name
		l.t.logged++
		if !e.listed {
			e.listed = true
			l.loggedSlots = append(l.loggedSlots, i)
		}
	}
	e.logSecs = 0
	l.events = append(l.events, l.event(e, kind, q.rcode))
}

// event is the log line of kind for e.
func (l *limiter) event(e *entry, kind eventKind, rcode int) event {
	bits := l.s.v4bits
	var addr netip.Addr
	if e.key.v6 {
		bits, addr = l.s.v6bits, netip.AddrFrom16(e.key.prefix)
	} else {
		addr = netip.AddrFrom4([4]byte(e.key.prefix[:4]))
	}
	return event{
		time: time.Now(), kind: kind, logOnly: l.s.logOnly, class: e.key.class,
		prefix: netip.PrefixFrom(addr, bits), name: e.name,
		qclass: e.key.qclass, qtype: e.key.qtype, hash: e.key.name, rcode: rcode,
	}
}

// recycled writes "*stop limiting" for a logged account thrown out of the table.
func (l *limiter) recycled(e *entry) {
	e.logged = false
	if l.emit != nil {
		l.events = append(l.events, l.event(e, evEarlyStop, 0))
	}
}

// logStops writes "stop limiting" for up to limit accounts quiet for a minute
// and in credit; now 0 (shutdown) stops them all.
func (l *limiter) logStops(now int64, limit int) {
	t := l.t
	l.stopsTime = now
	keep := l.loggedSlots[:0]
	for _, i := range l.loggedSlots {
		e := &t.entries[i]
		if !e.logged {
			e.listed = false
			continue
		}
		if limit <= 0 {
			keep = append(keep, i)
			continue
		}
		if now != 0 {
			a := age(e, now)
			if a < l.stops || l.balance(e, a) < 0 {
				keep = append(keep, i)
				continue
			}
		}
		kind := evStop
		if now == 0 {
			kind = evEarlyStop
		}
		if l.emit != nil {
			l.events = append(l.events, l.event(e, kind, 0))
		}
		e.logged, e.listed = false, false
		t.logged--
		limit--
	}
	clear(l.loggedSlots[len(keep):])
	l.loggedSlots = keep
}

// shutdown writes the stop lines of every account still limited.
func (l *limiter) shutdown() {
	l.t.mu.Lock()
	l.logStops(0, len(l.loggedSlots))
	l.unlock()
}
