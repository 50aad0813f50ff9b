package rrl

import (
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, input, wantErr string
		line                 int // of the error
		check                func(*config) string
	}{
		{name: "defaults are BIND's", input: "rrl", check: func(c *config) string {
			s := c.s
			if s.rates != [numClasses]int32{} || s.window != 15 || s.slip != 2 || s.v4bits != 24 || s.v6bits != 56 ||
				s.minSize != 500 || s.maxSize != 20000 || s.logOnly || s.qpsScale != 0 || c.exempt != nil || c.log != nil {
				return "defaults differ from BIND's"
			}
			return ""
		}},
		{name: "rates default to responses-per-second", input: "rrl {\n responses-per-second 5\n nxdomains-per-second 0\n errors-per-second 2\n}", check: func(c *config) string {
			want := [numClasses]int32{classResponse: 5, classReferral: 5, classNodata: 5, classNxdomain: 0, classError: 2}
			if c.s.rates != want {
				return "rates differ"
			}
			return ""
		}},
		{name: "every option", input: `rrl example.org 2.0.192.in-addr.arpa {
			responses-per-second 10
			referrals-per-second 8
			nodata-per-second 7
			nxdomains-per-second 6
			errors-per-second 5
			all-per-second 50
			window 5
			slip 0
			ipv4-prefix-length 32
			ipv6-prefix-length 64
			exempt-clients 192.0.2.0/24 !198.51.100.1
			exempt-clients localhost
			log-only yes
			max-table-size 100000
			min-table-size 1000
			qps-scale 250
			log syslog udp://127.0.0.1:5514
			facility local3
			tag corebind
		}`, check: func(c *config) string {
			if len(c.zones) != 2 || c.s.rates[classAll] != 50 || c.s.window != 5 || c.s.slip != 0 || c.s.v4bits != 32 ||
				c.s.v6bits != 64 || len(c.exempt) != 3 || !c.s.logOnly || c.s.maxSize != 100000 || c.s.minSize != 1000 || c.s.qpsScale != 250 || c.log == nil {
				return "options not all applied"
			}
			return ""
		}},
		{name: "bare log-only and log", input: "rrl {\n log-only\n log\n}", check: func(c *config) string {
			if !c.s.logOnly || c.log == nil {
				return "log-only or log not set"
			}
			return ""
		}},
		{name: "max defaults to at least min", input: "rrl {\n min-table-size 30000\n}", check: func(c *config) string {
			if c.s.maxSize != 30000 {
				return "max-table-size not raised to min-table-size"
			}
			return ""
		}},

		{name: "rate above BIND's max", input: "rrl {\n responses-per-second 1001\n}", line: 2, wantErr: `Testfile:2 - Error during parsing: responses-per-second "1001": want a whole number from 0 to 1000`},
		{name: "slip above 10", input: "rrl {\n slip 11\n}", line: 2, wantErr: `slip "11": want a whole number from 0 to 10`},
		{name: "window 0", input: "rrl {\n window 0\n}", line: 2, wantErr: `window "0": want a whole number from 1 to 3600`},
		{name: "ipv4 prefix 7", input: "rrl {\n ipv4-prefix-length 7\n}", line: 2, wantErr: `from 8 to 32`},
		{name: "ipv6 prefix 65", input: "rrl {\n ipv6-prefix-length 65\n}", line: 2, wantErr: `from 16 to 64`},
		{name: "negative", input: "rrl {\n all-per-second -1\n}", line: 2, wantErr: `want a whole number`},
		{name: "two numbers", input: "rrl {\n window 1 2\n}", line: 2, wantErr: `window takes one whole number`},
		{name: "twice", input: "rrl {\n window 1\n window 2\n}", line: 3, wantErr: `Testfile:3 - Error during parsing: window given twice`},
		{name: "max below min", input: "rrl {\n max-table-size 10\n min-table-size 20\n}", line: 4, wantErr: `max-table-size 10 < min-table-size 20`},
		{name: "qps-scale 0", input: "rrl {\n qps-scale 0\n}", line: 2, wantErr: `qps-scale "0"`},
		{name: "log-only maybe", input: "rrl {\n log-only maybe\n}", line: 2, wantErr: `log-only takes no argument, or yes or no`},
		{name: "empty exempt", input: "rrl {\n exempt-clients\n}", line: 2, wantErr: `exempt-clients needs at least one`},
		{name: "bad log", input: "rrl {\n log kafka\n}", line: 2, wantErr: `Error during parsing: log: unknown output "kafka"`},
		{name: "facility without syslog", input: "rrl {\n log stdout\n facility local3\n}", line: 3, wantErr: `Testfile:3 - Error during parsing: facility and tag apply to syslog output only`},
		{name: "unknown option", input: "rrl {\n responses 5\n}", line: 2, wantErr: `Testfile:2 - Error during parsing: unknown option "responses"; want responses-per-second`},
		{name: "two blocks", input: "rrl\nrrl", line: 2, wantErr: `only one rrl per server block`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := caddy.NewTestController("dns", tc.input)
			c.ServerBlockKeys = []string{"."}
			cfg, err := parse(c)
			if tc.wantErr != "" {
				testkit.CheckParseErrorAt(t, err, "", tc.line, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(cfg); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestCompileExempt(t *testing.T) {
	c := caddy.NewTestController("dns", "rrl {\n window 2\n exempt-clients 10.0.0/8\n}")
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.compile()
	if err == nil || !strings.Contains(err.Error(), "Testfile:3 - Error during parsing: exempt-clients: ") {
		t.Fatalf("error %v, want the line of exempt-clients", err)
	}
}

func TestSetupRegisters(t *testing.T) {
	c := caddy.NewTestController("dns", "rrl {\n responses-per-second 5\n}")
	if err := setup(c); err != nil {
		t.Fatal(err)
	}
}

// TestSetupInert: parsing opens no log file and starts no writer.
func TestSetupInert(t *testing.T) {
	testkit.SetupInert(t, setup, "rrl {\n responses-per-second 5\n log file rrl.log\n}")
}
