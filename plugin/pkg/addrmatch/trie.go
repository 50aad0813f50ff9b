package addrmatch

import "net/netip"

// trie is a binary prefix trie for one family; each node keeps the position
// of the first element listing it, so one walk gives BIND's first match.
type trie struct {
	nodes []node // nodes[0] is the root
	bits  int    // 32 or 128
}

type node struct {
	child [2]uint32 // 0 = none (the root is never a child)
	pos   int32     // element position, -1 when no prefix ends here
	deny  bool      // the element was negated
}

func newTrie(bits int) *trie {
	return &trie{nodes: []node{{pos: -1}}, bits: bits}
}

// insert adds masked p for element pos; an earlier element keeps precedence.
func (t *trie) insert(p netip.Prefix, pos int32, deny bool) {
	a := p.Addr().AsSlice()
	n := uint32(0)
	for i := 0; i < p.Bits(); i++ {
		b := (a[i/8] >> (7 - uint(i%8))) & 1
		next := t.nodes[n].child[b]
		if next == 0 {
			t.nodes = append(t.nodes, node{pos: -1})
			next = uint32(len(t.nodes) - 1)
			t.nodes[n].child[b] = next
		}
		n = next
	}
	if nd := &t.nodes[n]; nd.pos < 0 || pos < nd.pos {
		nd.pos, nd.deny = pos, deny
	}
}

// lookup returns the first matching element's position and sense, or -1 (a unmapped).
func (t *trie) lookup(a netip.Addr) (pos int32, deny bool) {
	pos = -1
	var buf [16]byte
	if t.bits == 32 {
		b4 := a.As4()
		copy(buf[:], b4[:])
	} else {
		buf = a.As16()
	}
	n := uint32(0)
	for i := 0; ; i++ {
		nd := &t.nodes[n]
		if nd.pos >= 0 && (pos < 0 || nd.pos < pos) {
			pos, deny = nd.pos, nd.deny
		}
		if i == t.bits {
			return pos, deny
		}
		n = nd.child[(buf[i/8]>>(7-uint(i%8)))&1]
		if n == 0 {
			return pos, deny
		}
	}
}
