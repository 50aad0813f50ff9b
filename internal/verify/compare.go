package verify

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Difference is one field in which the two servers' replies differ.
type Difference struct {
	Field    string // "rcode", "flag AA", "answer www.example.org. A", …
	BIND     string
	Corebind string
}

// Fields a Difference can be about, the names -ignore takes.
var fieldKinds = []string{"rcode", "aa", "ra", "tc", "answer", "authority", "ede"}

// Kind is the field a Difference is about: one of fieldKinds.
func (d Difference) Kind() string {
	f := strings.ToLower(d.Field)
	if flag, ok := strings.CutPrefix(f, "flag "); ok {
		f = flag
	}
	kind, _, _ := strings.Cut(f, " ")
	return kind
}

// Compare lists how two replies to the same query differ: rcode (with
// EDNS's extended bits), the AA, RA and TC flags, the answer and authority
// RRsets, and the EDE codes. RRsets are compared as sets: TTLs (which
// caches decrement), record order and the case of names (owner and names
// inside the data) are ignored. The additional section is not compared
// (servers choose glue differently); sections of a truncated reply are not
// compared either (they are incomplete by definition): when both replies
// are truncated, Replay asks again over TCP and compares those replies.
func Compare(bind, corebind *dns.Msg) []Difference {
	var d []Difference
	add := func(field, b, c string) {
		if b != c {
			d = append(d, Difference{field, b, c})
		}
	}
	add("rcode", rcodeString(bind.Rcode), rcodeString(corebind.Rcode))
	add("flag AA", onOff(bind.Authoritative), onOff(corebind.Authoritative))
	add("flag RA", onOff(bind.RecursionAvailable), onOff(corebind.RecursionAvailable))
	add("flag TC", onOff(bind.Truncated), onOff(corebind.Truncated))
	if !bind.Truncated && !corebind.Truncated {
		d = append(d, compareSection("answer", bind.Answer, corebind.Answer)...)
		d = append(d, compareSection("authority", bind.Ns, corebind.Ns)...)
	}
	add("EDE", edeCodes(bind), edeCodes(corebind))
	return d
}

func onOff(b bool) string {
	if b {
		return "set"
	}
	return "clear"
}

func rcodeString(rc int) string {
	if rc == dns.RcodeBadVers {
		// 16 is BADSIG only inside a TSIG record; in the header and OPT it
		// is BADVERS (miekg/dns names it BADSIG).
		return "BADVERS"
	}
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rc)
}

// edeCodes lists a reply's Extended DNS Error codes (RFC 8914), sorted, with
// their names: "18 (Prohibited)"; "none" without any.
func edeCodes(m *dns.Msg) string {
	opt := m.IsEdns0()
	if opt == nil {
		return "none"
	}
	var codes []int
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			codes = append(codes, int(e.InfoCode))
		}
	}
	if len(codes) == 0 {
		return "none"
	}
	slices.Sort(codes)
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
		if name, ok := dns.ExtendedErrorCodeToString[uint16(c)]; ok {
			s[i] += " (" + name + ")"
		}
	}
	return strings.Join(s, ", ")
}

// rrsetKey names an RRset: owner (lower case), class and type.
type rrsetKey struct {
	owner string
	class uint16
	rtype uint16
}

func (k rrsetKey) String() string {
	s := k.owner + " " + dns.Type(k.rtype).String()
	if k.class != dns.ClassINET {
		s = k.owner + " " + dns.Class(k.class).String() + " " + dns.Type(k.rtype).String()
	}
	return s
}

// rrsets groups a section into RRsets of canonical record data.
func rrsets(section []dns.RR) map[rrsetKey][]string {
	sets := map[rrsetKey][]string{}
	for _, rr := range section {
		h := rr.Header()
		if h.Rrtype == dns.TypeOPT {
			continue
		}
		k := rrsetKey{strings.ToLower(h.Name), h.Class, h.Rrtype}
		data := canonicalData(rr)
		if !slices.Contains(sets[k], data) {
			sets[k] = append(sets[k], data)
		}
	}
	for k := range sets {
		slices.Sort(sets[k])
	}
	return sets
}

// compareSection reports the RRsets of a section that differ, one
// Difference per RRset, in a stable order.
func compareSection(section string, bind, corebind []dns.RR) []Difference {
	b, c := rrsets(bind), rrsets(corebind)
	var keys []rrsetKey
	for k := range b {
		keys = append(keys, k)
	}
	for k := range c {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y rrsetKey) int {
		if n := strings.Compare(x.owner, y.owner); n != 0 {
			return n
		}
		if x.rtype != y.rtype {
			return int(x.rtype) - int(y.rtype)
		}
		return int(x.class) - int(y.class)
	})
	var d []Difference
	for _, k := range keys {
		if !slices.Equal(b[k], c[k]) {
			bOnly, cOnly, both := split(b[k], c[k])
			d = append(d, Difference{Field: section + " " + k.String(), BIND: setString(bOnly, both), Corebind: setString(cOnly, both)})
		}
	}
	return d
}

// split sorts two sorted sets of records into those only in a, only in b,
// and the number in both.
func split(a, b []string) (aOnly, bOnly []string, both int) {
	for _, x := range a {
		if slices.Contains(b, x) {
			both++
		} else {
			aOnly = append(aOnly, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			bOnly = append(bOnly, x)
		}
	}
	return aOnly, bOnly, both
}

// setString shows the records one side alone has, and how many more both
// have: "192.0.2.81 +1 in both"; "(none)" for an RRset one side lacks.
func setString(only []string, both int) string {
	s := strings.Join(only, " | ")
	switch {
	case both == 0 && len(only) == 0:
		return "(none)"
	case both == 0:
		return s
	case len(only) == 0:
		return fmt.Sprintf("(nothing else) +%d in both", both)
	}
	return fmt.Sprintf("%s +%d in both", s, both)
}

// canonicalData is an RR's data in presentation form with the names inside
// it lower-cased (as DNSSEC's canonical form does for the types that carry
// names).
func canonicalData(rr dns.RR) string {
	rr = dns.Copy(rr)
	lowerNames(reflect.ValueOf(rr).Elem())
	s := rr.String()
	// Drop the header (owner, TTL, class, type): the key holds them.
	hdr := rr.Header().String()
	return strings.TrimPrefix(s, hdr)
}

// describe is a one-line summary of a reply for messages.
func describe(m *dns.Msg) string {
	return fmt.Sprintf("%s, %d answer, %d authority", rcodeString(m.Rcode), len(m.Answer), len(m.Ns))
}

// lowerNames lower-cases the fields of an RR that miekg/dns declares as
// domain names (its dns:"domain-name" and dns:"cdomain-name" tags), in
// embedded structs too (HTTPS is an SVCB): one rule for every type, where a
// list of types would miss the ones it forgot.
func lowerNames(v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, sf := v.Field(i), t.Field(i)
		if sf.Anonymous && f.Kind() == reflect.Struct {
			lowerNames(f)
			continue
		}
		if tag := sf.Tag.Get("dns"); (tag != "domain-name" && tag != "cdomain-name") || !f.CanSet() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(strings.ToLower(f.String()))
		case reflect.Slice:
			for j := 0; j < f.Len(); j++ {
				if e := f.Index(j); e.Kind() == reflect.String {
					e.SetString(strings.ToLower(e.String()))
				}
			}
		}
	}
}
