package querylog

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/pkg/response"
)

func TestSetup(t *testing.T) {
	tests := []struct {
		input string
		check func(t *testing.T, ls []*logger)
	}{
		{`querylog`, func(t *testing.T, ls []*logger) {
			l := ls[0]
			if l.format != formatBIND || l.output.String() != "stdout" || l.buffer != 65536 || l.stats != nil || l.responses || l.clients != nil || l.classes != 0 {
				t.Errorf("defaults: %+v", l)
			}
			if len(l.zones) != 1 || l.zones[0] != "example.org." {
				t.Errorf("zones %v, want the server block's", l.zones)
			}
		}},
		{`querylog Sub.Example.org. 10.in-addr.arpa {
			output file query.log
			format json
			class denial error
			clients 127.0.0.0/8 !127.0.0.9 ::1
			clients key k1.
			responses
			buffer 100
			stats {
				top 5
				names 7
				interval 10m
				listen 127.0.0.1:9154
			}
		}`, func(t *testing.T, ls []*logger) {
			l := ls[0]
			if strings.Join(l.zones, " ") != "sub.example.org. 10.in-addr.arpa." {
				t.Errorf("zones %v", l.zones)
			}
			if l.format != formatJSON || l.output.String() != "file query.log" || !l.responses || l.buffer != 100 {
				t.Errorf("options: %+v", l)
			}
			if l.classes.has(response.Success) || !l.classes.has(response.Denial) || !l.classes.has(response.Error) {
				t.Errorf("classes %b", l.classes)
			}
			if l.clients == nil || l.clients.Len() != 4 {
				t.Errorf("clients %v", l.clients)
			}
			if l.stats == nil || l.top != 5 || l.names != 7 || l.interval != 10*time.Minute || l.listen != "127.0.0.1:9154" || l.http == nil {
				t.Errorf("stats: %+v", l)
			}
		}},
		{`querylog {
			output syslog udp://127.0.0.1:514
			facility local0
			tag dns
			class all success
			stats
		}
		querylog example.org {
			output stderr
			stats {
			}
		}`, func(t *testing.T, ls []*logger) {
			if len(ls) != 2 {
				t.Fatalf("%d directives", len(ls))
			}
			if ls[0].output.String() != "syslog udp://127.0.0.1:514" || ls[0].output.Facility.String() != "local0" || ls[0].output.Tag != "dns" {
				t.Errorf("syslog: %+v", ls[0].output)
			}
			if ls[0].classes != 0 {
				t.Errorf("class all success = %b, want all", ls[0].classes)
			}
			if ls[0].stats == nil || ls[0].top != 100 || ls[0].names != 100 || ls[0].http != nil {
				t.Errorf("bare stats: %+v", ls[0])
			}
			if ls[1].stats == nil || ls[1].output.String() != "stderr" {
				t.Errorf("second: %+v", ls[1])
			}
		}},
	}
	for _, tc := range tests {
		c := caddy.NewTestController("dns", tc.input)
		c.ServerBlockKeys = []string{"example.org:53"}
		ls, err := parse(c)
		if err != nil {
			t.Errorf("%s: %v", tc.input, err)
			continue
		}
		tc.check(t, ls)
	}
}

// block writes a querylog block whose lines are separated by ";".
func block(lines string) string {
	return "querylog {\n" + strings.ReplaceAll(lines, ";", "\n") + "\n}\n"
}

func TestSetupErrors(t *testing.T) {
	tests := []struct {
		input string
		line  int
		want  string
	}{
		{block("output"), 2, "output needs stdout"},
		{block("output file"), 2, "output file needs exactly one PATH"},
		{block("output syslog tcp://127.0.0.1"), 2, "missing port"},
		{block("output stdout;output stderr"), 3, "output given twice"},
		{block("format text"), 2, `unknown format "text": want bind or json`},
		{block("format"), 2, "format needs one of bind, json"},
		{block("facility local0"), 2, "facility and tag apply to syslog output only, not to stdout"},
		{block("output syslog;facility local9"), 3, `unknown syslog facility "local9"`},
		{block("class"), 2, "class needs one or more of success, denial, error, all"},
		{block("class nxdomain"), 2, `unknown class "nxdomain"`},
		{block("clients"), 2, "clients needs address match list elements"},
		{block("clients 10.0.0/8"), 2, `parsing clients element "10.0.0/8"`},
		{block("responses yes"), 2, `responses takes no argument, got "yes"`},
		{block("buffer 0"), 2, `buffer "0": want a number from 1 to 1048576`},
		{block("buffer lots"), 2, `buffer "lots": want a number`},
		{block("stats 10"), 2, "stats takes no argument, only a block"},
		{block("stats {;top 0;}"), 3, `top "0": want a number from 1`},
		{block("stats {;names;}"), 3, "names needs one number"},
		{block("stats {;interval 10;}"), 3, `interval "10": want a duration of 1s or more`},
		{block("stats {;interval 100ms;}"), 3, `interval "100ms": want a duration of 1s or more`},
		{block("stats {;listen 9154;}"), 3, `listen "9154": address 9154: missing port in address`},
		{block("stats {;listen 127.0.0.1:http;}"), 3, `listen "127.0.0.1:http": bad port "http"`},
		{block("stats {;top 5;top 6;}"), 4, "stats top given twice"},
		{block("stats {;format json;}"), 3, `unknown stats property "format"`},
		{block("verbose"), 2, `unknown property "verbose"`},
		{block("stats {;listen 127.0.0.1:9154;}") + block("stats {;listen 127.0.0.1:9154;}"), 10, "already used by another querylog directive"},
	}
	for _, tc := range tests {
		c := caddy.NewTestController("dns", tc.input)
		c.ServerBlockKeys = []string{"."}
		err := setup(c)
		t.Run(tc.input, func(t *testing.T) { testkit.CheckParseErrorAt(t, err, pluginName, tc.line, tc.want) })
	}
}

// TestSetupErrorLine: errors name the Corefile line.
func TestSetupErrorLine(t *testing.T) {
	c := caddy.NewTestController("dns", "querylog {\n  output file q.log\n  format yaml\n}")
	c.ServerBlockKeys = []string{"."}
	err := setup(c)
	if err == nil || !strings.Contains(err.Error(), ":3 - Error during parsing") {
		t.Errorf("error %v does not name line 3", err)
	}
}

// TestStartupFailure: a statistics address that is taken fails the start
// (and a reload) with a clear error, and leaves nothing running.
func TestStartupFailure(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	h := parseHandler(t, block("output file "+filepath.Join(t.TempDir(), "q.log")+";stats {;listen "+taken.Addr().String()+";}"), ".")
	err = h.startup("dns://:53")
	if err == nil || !strings.Contains(err.Error(), "plugin/querylog: stats listen "+taken.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("startup: %v", err)
	}
	if h.loggers[0].http.srv != nil {
		t.Error("the statistics server runs after a failed startup")
	}
}

// TestSetupInert: parsing opens no output file, binds no statistics
// listener and starts no writer; OnStartup does.
func TestSetupInert(t *testing.T) {
	listen := testkit.HostPort("127.0.0.1", testkit.FreePort(t))
	testkit.SetupInert(t, setup, `querylog {
		output file query.log
		stats {
			listen `+listen+`
		}
	}
	querylog example.org {
		output file other/query.log
	}`, listen)
}
