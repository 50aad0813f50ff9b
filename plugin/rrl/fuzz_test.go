package rrl

import (
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
)

// FuzzParse feeds arbitrary Corefile text to the parser and the compiler
// of exempt-clients: an error names the line and the problem, nothing
// panics, and what parses is within BIND's limits.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ name, text string }{
		{"bare", "rrl"},
		{"every-option", "rrl example.org {\n responses-per-second 10\n referrals-per-second 8\n nodata-per-second 7\n nxdomains-per-second 6\n errors-per-second 5\n all-per-second 50\n window 5\n slip 0\n ipv4-prefix-length 32\n ipv6-prefix-length 64\n exempt-clients 192.0.2.0/24 !198.51.100.1 key k.\n log-only yes\n max-table-size 100000\n min-table-size 1000\n qps-scale 250\n log syslog udp://127.0.0.1:5514\n facility local3\n tag corebind\n}"},
		{"bad-number", "rrl {\n slip 1e3\n}"},
		{"bad-exempt", "rrl {\n exempt-clients 10.0.0/8\n}"},
		{"max-below-min", "rrl {\n max-table-size 1\n min-table-size 2\n}"},
		{"twice", "rrl\nrrl"},
		{"unknown", "rrl {\n rate-limit\n}"},
	} {
		testkit.Seed(f, s.name, s.text)
	}
	f.Fuzz(func(t *testing.T, input string) {
		c := caddy.NewTestController("dns", input)
		c.ServerBlockKeys = []string{"."}
		cfg, err := parse(c)
		if err != nil {
			testkit.CheckParseError(t, input, err)
			return
		}
		s := cfg.s
		for _, r := range s.rates {
			if r < 0 || r > maxRate {
				t.Fatalf("rate %d accepted: %q", r, input)
			}
		}
		if s.window < 1 || s.window > maxWindow || s.slip < 0 || s.slip > maxSlip || s.maxSize < s.minSize || s.minSize < 1 {
			t.Fatalf("settings out of range accepted: %+v\n%q", s, input)
		}
		list, err := cfg.compile()
		if err != nil {
			testkit.CheckParseError(t, input, err)
			return
		}
		if list != nil {
			list.Match(testkit.FuzzAddr([]byte(input)), "")
		}
	})
}
