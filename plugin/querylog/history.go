package querylog

import "time"

// History sizes: per-second counts for the last minutes and per-minute counts
// for the hour, fixed arrays so counting allocates nothing.
const (
	historySeconds = 300
	historyMinutes = 60
)

// history counts queries per second and per minute; guarded by the stats mutex.
type history struct {
	sec     [historySeconds]uint32
	min     [historyMinutes]uint64
	lastSec int64 // Unix second of the newest per-second slot; 0: empty
	lastMin int64 // Unix minute of the newest per-minute slot
}

// add counts a query that arrived at t (Unix ns), in its own slot if still in
// the ring: queries finish out of order.
func (h *history) add(t int64) {
	sec := t / int64(time.Second)
	h.advance(sec)
	if d := h.lastSec - sec; d >= 0 && d < historySeconds {
		h.sec[sec%historySeconds]++
	}
	m := sec / 60
	if d := h.lastMin - m; d >= 0 && d < historyMinutes {
		h.min[m%historyMinutes]++
	}
}

// advance moves the newest slots to the second sec (and its minute),
// zeroing the slots of the seconds and minutes in between.
func (h *history) advance(sec int64) {
	if sec > h.lastSec {
		from := max(h.lastSec+1, sec-historySeconds+1)
		for s := from; s <= sec; s++ {
			h.sec[s%historySeconds] = 0
		}
		h.lastSec = sec
	}
	if m := sec / 60; m > h.lastMin {
		from := max(h.lastMin+1, m-historyMinutes+1)
		for x := from; x <= m; x++ {
			h.min[x%historyMinutes] = 0
		}
		h.lastMin = m
	}
}

func (h *history) reset() { *h = history{} }

// historySnapshot is the history as of a time: counts oldest first, the
// last element being the current (incomplete) second or minute.
type historySnapshot struct {
	End       time.Time // the start of the newest second
	PerSecond []uint32  // historySeconds counts
	PerMinute []uint64  // historyMinutes counts
}

// snapshot copies the history up to now (the stats mutex is held).
func (h *history) snapshot(now time.Time) historySnapshot {
	sec := now.Unix()
	h.advance(sec)
	hs := historySnapshot{
		End:       time.Unix(sec, 0),
		PerSecond: make([]uint32, historySeconds),
		PerMinute: make([]uint64, historyMinutes),
	}
	for i := range historySeconds {
		s := sec - historySeconds + 1 + int64(i)
		if s > 0 {
			hs.PerSecond[i] = h.sec[s%historySeconds]
		}
	}
	m := sec / 60
	for i := range historyMinutes {
		x := m - historyMinutes + 1 + int64(i)
		if x > 0 {
			hs.PerMinute[i] = h.min[x%historyMinutes]
		}
	}
	return hs
}
