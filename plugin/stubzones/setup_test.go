package stubzones

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/miekg/dns"
)

func TestSetup(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o644)

	tests := []struct {
		name   string
		input  string
		keys   []string
		line   int // of the error
		err    string
		zones  []string
		check  func(t *testing.T, s *Stubzones)
		secret map[string]string // the tsig plugin's keys
	}{
		{name: "server block zones", input: `stubzones { primaries 127.0.0.1
}`, keys: []string{"example.org.", "example.net."},
			zones: []string{"example.org.", "example.net."},
			check: func(t *testing.T, s *Stubzones) {
				o := s.zones["example.org."].opts
				if o.primaries[0].String() != "127.0.0.1:53" || o.refreshMin != defaultRefreshMin || o.refreshMax != defaultRefreshMax || o.maxDepth != 8 || o.port != 53 || o.dir != "" {
					t.Errorf("defaults: %+v", o)
				}
			}},
		{name: "everything", input: `stubzones Corp.Example example.net {
			primaries 127.0.0.1 127.0.0.2:5300 ::1 [::1]:5300
			dir ` + dir + `
			refresh-min 30s
			refresh-max 3600
			max-depth 3
			port 5353
		}`, zones: []string{"corp.example.", "example.net."},
			check: func(t *testing.T, s *Stubzones) {
				o := s.zones["corp.example."].opts
				var p []string
				for _, a := range o.primaries {
					p = append(p, a.String())
				}
				if strings.Join(p, " ") != "127.0.0.1:53 127.0.0.2:5300 [::1]:53 [::1]:5300" {
					t.Errorf("primaries %v", p)
				}
				if o.refreshMin != 30*time.Second || o.refreshMax != time.Hour || o.maxDepth != 3 || o.port != 5353 || o.dir != dir {
					t.Errorf("options %+v", o)
				}
				if s.zones["corp.example."].file != filepath.Join(dir, "corp.example.stub") {
					t.Errorf("file %s", s.zones["corp.example."].file)
				}
			}},
		{name: "two directives", input: "stubzones a.example { \n primaries 127.0.0.1 \n}\nstubzones b.example { \n primaries 127.0.0.2 \n}",
			zones: []string{"a.example.", "b.example."}},
		{name: "reverse CIDR zone", input: `stubzones 10.1.0.0/16 { primaries 127.0.0.1
}`, zones: []string{"1.10.in-addr.arpa."}},
		{name: "inline tsig", input: `stubzones example.org { 
			primaries 127.0.0.1
			tsig stub-key hmac-sha512 c2VjcmV0
		}`, zones: []string{"example.org."},
			check: func(t *testing.T, s *Stubzones) {
				k := s.zones["example.org."].opts.tsig
				if k.name != "stub-key." || k.algorithm != dns.HmacSHA512 || k.secret != "c2VjcmV0" {
					t.Errorf("key %+v", k)
				}
			}},
		{name: "tsig from the tsig plugin", input: `stubzones example.org { 
			primaries 127.0.0.1
			tsig Stub-Key
		}`, secret: map[string]string{"stub-key.": "c2VjcmV0"}, zones: []string{"example.org."},
			check: func(t *testing.T, s *Stubzones) {
				k := s.zones["example.org."].opts.tsig
				if k.secret != "c2VjcmV0" || k.algorithm != dns.HmacSHA256 {
					t.Errorf("key %+v", k)
				}
			}},

		{name: "no primaries", input: `stubzones example.org`, line: 1, err: "no primaries"},
		{name: "empty primaries", input: `stubzones example.org { primaries
}`, line: 1, err: "at least one address"},
		{name: "primary by name", input: `stubzones example.org { primaries ns1.example.org
}`, line: 1, err: "not an IP address"},
		{name: "primary port 0", input: `stubzones example.org { primaries 127.0.0.1:0
}`, line: 1, err: "not an IP address"},
		{name: "bad zone", input: `stubzones exa..mple { primaries 127.0.0.1
}`, line: 1, err: "not a valid domain name"},
		{name: "unknown property", input: `stubzones example.org { primaries 127.0.0.1
			masters 127.0.0.1
}`, line: 2, err: `unknown property "masters"`},
		{name: "bad duration", input: `stubzones example.org { primaries 127.0.0.1
			refresh-min soon
}`, line: 2, err: "refresh-min"},
		{name: "sub-second duration", input: `stubzones example.org { primaries 127.0.0.1
			refresh-min 500ms
}`, line: 2, err: "below one second"},
		{name: "min above max", input: `stubzones example.org { primaries 127.0.0.1
			refresh-min 2h
			refresh-max 1h
}`, line: 4, err: "above refresh-max"},
		{name: "bad max-depth", input: `stubzones example.org { primaries 127.0.0.1
			max-depth 99
}`, line: 2, err: "max-depth"},
		{name: "bad port", input: `stubzones example.org { primaries 127.0.0.1
			port 70000
}`, line: 2, err: "port"},
		{name: "dir without path", input: `stubzones example.org { primaries 127.0.0.1
			dir
}`, line: 2, err: "dir takes one path"},
		{name: "unwritable dir", input: `stubzones example.org { primaries 127.0.0.1
			dir ` + notDir + `/stubs }`, line: 2, err: "dir"},
		{name: "undefined tsig key", input: `stubzones example.org { primaries 127.0.0.1
			tsig nokey
}`, line: 2, err: "not defined"},
		{name: "bad tsig algorithm", input: `stubzones example.org { primaries 127.0.0.1
			tsig k hmac-foo c2VjcmV0
}`, line: 2, err: "unknown algorithm"},
		{name: "bad tsig secret", input: `stubzones example.org { primaries 127.0.0.1
			tsig k hmac-sha256 not!base64
}`, line: 2, err: "not base64"},
		{name: "tsig secret clash", input: `stubzones example.org { primaries 127.0.0.1
			tsig k hmac-sha256 b3RoZXI=
}`, secret: map[string]string{"k.": "c2VjcmV0"}, line: 2, err: "another secret"},
		{name: "zone twice", input: "stubzones example.org { \n primaries 127.0.0.1 \n}\nstubzones example.org { \n primaries 127.0.0.2 \n}",
			line: 6, err: "configured twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := caddy.NewTestController("dns", tc.input)
			c.ServerBlockKeys = tc.keys
			if c.ServerBlockKeys == nil {
				c.ServerBlockKeys = []string{"."}
			}
			cfg := dnsserver.GetConfig(c)
			cfg.TsigSecret = tc.secret
			err := setup(c)
			if tc.err != "" {
				testkit.CheckParseErrorAt(t, err, pluginName, tc.line, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := cfg.Handler(pluginName)
			if h == nil {
				if plugins := cfg.Plugin; len(plugins) != 1 {
					t.Fatalf("%d plugins added", len(plugins))
				}
				h = cfg.Plugin[0](nil)
			}
			s := h.(*Stubzones)
			var got []string
			for _, z := range s.order {
				got = append(got, z.name)
			}
			if strings.Join(got, " ") != strings.Join(tc.zones, " ") {
				t.Errorf("zones %v, want %v", got, tc.zones)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

// An inline key is added to the server's keys (so a signed NOTIFY
// verifies), without changing the tsig plugin's own map.
func TestSetupInlineKeyJoinsServerKeys(t *testing.T) {
	c := caddy.NewTestController("dns", `stubzones example.org { 
		primaries 127.0.0.1
		tsig stub-key hmac-sha256 c2VjcmV0
	}`)
	cfg := dnsserver.GetConfig(c)
	theirs := map[string]string{"other.": "b3RoZXI="}
	cfg.TsigSecret = theirs
	if err := setup(c); err != nil {
		t.Fatal(err)
	}
	if cfg.TsigSecret["stub-key."] != "c2VjcmV0" || cfg.TsigSecret["other."] != "b3RoZXI=" {
		t.Errorf("server keys %v", cfg.TsigSecret)
	}
	if len(theirs) != 1 {
		t.Errorf("the tsig plugin's map was changed: %v", theirs)
	}
}

// TestSetupInert: parsing creates no dir (OnStartup does) and starts no
// refresh.
func TestSetupInert(t *testing.T) {
	testkit.SetupInert(t, setup, "stubzones example.org {\n primaries 127.0.0.1\n dir stubs/example\n}")
}

// TestStartupMakesDir: the dir is created at startup, and one that cannot be
// fails it.
func TestStartupMakesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stubs")
	c := caddy.NewTestController("dns", "stubzones example.org {\n primaries 127.0.0.1:1\n dir "+dir+"\n}")
	s, err := parse(c, dnsserver.GetConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.OnStartup("dns://:53"); err != nil {
		t.Fatal(err)
	}
	s.OnShutdown()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("dir not created at startup: %v", err)
	}
	// A path that became a file after parsing.
	blocked := filepath.Join(dir, "file")
	s, err = parse(caddy.NewTestController("dns", "stubzones example.org {\n primaries 127.0.0.1:1\n dir "+blocked+"/sub\n}"), dnsserver.GetConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(blocked, nil, 0o644)
	if err := s.OnStartup("dns://:53"); err == nil || !strings.Contains(err.Error(), "plugin/stubzones: dir") {
		s.OnShutdown()
		t.Errorf("startup with an unusable dir: %v", err)
	}
}
