package verify

import (
	"fmt"
	"strings"
)

// parseListLine reads a plain "NAME TYPE [CLASS]" line (dnsperf's query
// file format; CLASS may also come first, as in zone files). The query gets
// RD and EDNS 0, like dig's.
func parseListLine(line string) (Query, error) {
	var q Query
	f := strings.Fields(line)
	if len(f) < 2 || len(f) > 3 {
		return q, fmt.Errorf("want NAME TYPE [CLASS], got %d fields", len(f))
	}
	name, err := parseName(f[0])
	if err != nil {
		return q, err
	}
	qtype, qclass, classSeen := uint16(0), uint16(1), false
	for _, s := range f[1:] {
		if t, err := parseType(s); err == nil && qtype == 0 {
			qtype = t
			continue
		}
		c, err := parseClass(s)
		if err != nil || classSeen {
			return q, fmt.Errorf("unknown type or class %q", s)
		}
		qclass, classSeen = c, true
	}
	if qtype == 0 {
		return q, fmt.Errorf("no type in %q", line)
	}
	return newQuery(name, qtype, qclass, ""), nil
}
