package verify

import (
	"fmt"
	"strconv"
	"strings"
)

// bindQueryMark separates a BIND query log line's client part from the
// question. Other lines of BIND's log (query-errors, denials, start-up)
// never hold it: spaces inside names are escaped (\032).
const bindQueryMark = ": query: "

// parseBINDLine reads one BIND 9 query log line:
//
//	[TIME] [queries: info: ]client [@0xPTR ]ADDR#PORT (NAME): query: NAME CLASS TYPE FLAGS (DST[#PORT])[ [ECS …]]
//
// with or without the file channel's time, category and severity (or a
// syslog prefix), the 9.18 and 9.20+ destination forms, and names with
// BIND's escapes. It returns the query and the logged client address.
func parseBINDLine(line string) (Query, string, error) {
	var q Query
	i := strings.Index(line, bindQueryMark)
	if i < 0 {
		return q, "", fmt.Errorf("not a query log line (no %q)", strings.TrimSpace(bindQueryMark))
	}
	client, err := parseBINDClient(line[:i])
	if err != nil {
		return q, "", err
	}
	f := strings.Fields(line[i+len(bindQueryMark):])
	if len(f) < 5 {
		return q, "", fmt.Errorf("want NAME CLASS TYPE FLAGS (DESTINATION) after %q, got %d fields", strings.TrimSpace(bindQueryMark), len(f))
	}
	if q.Name, err = parseName(f[0]); err != nil {
		return q, "", err
	}
	if q.Class, err = parseClass(f[1]); err != nil {
		return q, "", err
	}
	if q.Type, err = parseType(f[2]); err != nil {
		return q, "", err
	}
	if err = parseBINDFlags(f[3], &q); err != nil {
		return q, "", err
	}
	if dst := f[4]; len(dst) < 3 || dst[0] != '(' || dst[len(dst)-1] != ')' {
		return q, "", fmt.Errorf("want the destination address in parentheses, got %q", dst)
	}
	// Anything after the destination is an extra BIND adds, such as
	// "[ECS 192.0.2.0/24/0]"; it does not change the question.
	if len(f) > 5 && !strings.HasPrefix(f[5], "[") {
		return q, "", fmt.Errorf("unexpected %q after the destination", f[5])
	}
	return q, client, nil
}

// parseBINDClient finds "client [@0xPTR ]ADDR#PORT (NAME)" at the end of the
// part before ": query: " and returns ADDR.
func parseBINDClient(s string) (string, error) {
	j := strings.LastIndex(s, "client ")
	if j < 0 {
		return "", fmt.Errorf(`no "client" before %q`, strings.TrimSpace(bindQueryMark))
	}
	f := strings.Fields(s[j+len("client "):])
	if len(f) > 0 && strings.HasPrefix(f[0], "@0x") { // BIND 9.11+: the client object's address
		f = f[1:]
	}
	if len(f) < 1 {
		return "", fmt.Errorf("no client address")
	}
	addr, _, ok := strings.Cut(f[0], "#")
	if !ok || addr == "" {
		return "", fmt.Errorf("want the client as ADDRESS#PORT, got %q", f[0])
	}
	return addr, nil
}

// parseBINDFlags reads the flag string ("+E(0)TDCK"): + or - for RD, then
// S (signed), E(version) (EDNS; older BINDs print E alone), T (TCP), D (DO),
// C (CD), V or K (cookies). Signatures and cookies are not replayed.
func parseBINDFlags(s string, q *Query) error {
	if s == "" || (s[0] != '+' && s[0] != '-') {
		return fmt.Errorf("want flags starting with + or -, got %q", s)
	}
	q.RD = s[0] == '+'
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case 'E':
			q.EDNS = true
			if i+1 < len(s) && s[i+1] == '(' {
				end := strings.IndexByte(s[i:], ')')
				if end < 0 {
					return fmt.Errorf("unclosed E( in flags %q", s)
				}
				v, err := strconv.ParseUint(s[i+2:i+end], 10, 8)
				if err != nil {
					return fmt.Errorf("bad EDNS version in flags %q", s)
				}
				q.EDNSVersion = uint8(v)
				i += end
			}
		case 'T':
			q.TCP = true
		case 'D':
			q.DO = true
		case 'C':
			q.CD = true
		case 'S', 'V', 'K':
		default:
			return fmt.Errorf("unknown flag %q in %q", s[i], s)
		}
	}
	return nil
}
