package querylog

import (
	"cmp"
	"slices"
)

// spaceSaving is Metwally et al.'s Space-Saving heavy hitters in len(slots)
// slots: a new key takes the smallest slot's count (kept as its error, at most
// N/k); every key above N/k is tracked. Slots form a min-heap on count.
type spaceSaving[K comparable, V any] struct {
	slots []ssSlot[K, V]
	heap  []int32 // slot indexes, min-heap on count
	index map[K]int32
}

type ssSlot[K comparable, V any] struct {
	key   K
	count uint64 // estimated count: true count + at most err
	err   uint64 // count inherited when the key took the slot
	pos   int32  // position in heap
	v     V
}

func newSpaceSaving[K comparable, V any](k int) *spaceSaving[K, V] {
	return &spaceSaving[K, V]{
		slots: make([]ssSlot[K, V], 0, k),
		heap:  make([]int32, 0, k),
		index: make(map[K]int32, k),
	}
}

// slot returns key's slot, inserting key if it is untracked (taken).
func (s *spaceSaving[K, V]) slot(key K) (sl *ssSlot[K, V], taken bool) {
	if i, ok := s.index[key]; ok {
		return &s.slots[i], false
	}
	return s.insert(key), true
}

// insert gives an untracked key a free slot or the smallest, inheriting its
// count; the caller resets the slot's value.
func (s *spaceSaving[K, V]) insert(key K) *ssSlot[K, V] {
	if len(s.slots) < cap(s.slots) {
		i := int32(len(s.slots))
		s.slots = s.slots[:i+1] // the value stays: it may hold preallocated memory
		sl := &s.slots[i]
		sl.key, sl.count, sl.err, sl.pos = key, 0, 0, int32(len(s.heap))
		s.heap = append(s.heap, i)
		s.index[key] = i
		s.up(len(s.heap) - 1)
		return sl
	}
	i := s.heap[0]
	sl := &s.slots[i]
	delete(s.index, sl.key)
	s.index[key] = i
	sl.key, sl.err = key, sl.count
	return sl
}

// add adds n to a slot's count: weighted Space-Saving, whose bounds hold
// with N the total weight.
func (s *spaceSaving[K, V]) add(sl *ssSlot[K, V], n uint64) {
	sl.count += n
	s.down(int(sl.pos))
}

// min is the smallest count when every slot is taken (the error bound), else 0.
func (s *spaceSaving[K, V]) min() uint64 {
	if len(s.slots) < cap(s.slots) || len(s.heap) == 0 {
		return 0
	}
	return s.slots[s.heap[0]].count
}

func (s *spaceSaving[K, V]) len() int { return len(s.slots) }

// reset forgets every key; values stay for the caller to reset on insert.
func (s *spaceSaving[K, V]) reset() {
	var zero K
	for i := range s.slots {
		s.slots[i].key, s.slots[i].count, s.slots[i].err = zero, 0, 0
	}
	s.slots = s.slots[:0]
	s.heap = s.heap[:0]
	clear(s.index)
}

func (s *spaceSaving[K, V]) less(i, j int) bool {
	return s.slots[s.heap[i]].count < s.slots[s.heap[j]].count
}

func (s *spaceSaving[K, V]) swap(i, j int) {
	s.heap[i], s.heap[j] = s.heap[j], s.heap[i]
	s.slots[s.heap[i]].pos = int32(i)
	s.slots[s.heap[j]].pos = int32(j)
}

func (s *spaceSaving[K, V]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !s.less(j, i) {
			return
		}
		s.swap(i, j)
		j = i
	}
}

func (s *spaceSaving[K, V]) down(i int) {
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && s.less(r, l) {
			j = r
		}
		if !s.less(j, i) {
			return
		}
		s.swap(i, j)
		i = j
	}
}

// entry is a slot as a snapshot holds it: its count, which is at most Error
// above the truth, and what the table keeps besides.
type entry[K, V any] struct {
	Key   K
	Count uint64
	Error uint64
	Value V
}

// entries copies a table's slots, value making each slot's Value.
func entries[K comparable, V, W any](t *spaceSaving[K, V], value func(*V) W) []entry[K, W] {
	out := make([]entry[K, W], 0, t.len())
	for i := range t.slots {
		sl := &t.slots[i]
		out = append(out, entry[K, W]{Key: sl.key, Count: sl.count, Error: sl.err, Value: value(&sl.v)})
	}
	return out
}

// same is the value of entries that copies the slot's value as it is.
func same[V any](v *V) V { return *v }

// sortEntries sorts every table the same way: by guaranteed count (count
// less error: a flood's newcomers mostly hold inherited error), then count,
// then key (address or name).
func sortEntries[K, V any](s []entry[K, V], keyCmp func(a, b K) int) {
	slices.SortFunc(s, func(a, b entry[K, V]) int {
		return cmp.Or(
			cmp.Compare(b.Count-b.Error, a.Count-a.Error),
			cmp.Compare(b.Count, a.Count),
			keyCmp(a.Key, b.Key),
		)
	})
}
