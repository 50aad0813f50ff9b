package logsink

import (
	"strings"
	"testing"
)

func TestParseOutput(t *testing.T) {
	tests := []struct {
		args string
		want Output
		err  string
	}{
		{"stdout", Output{Kind: Stdout}, ""},
		{"stderr", Output{Kind: Stderr}, ""},
		{"file query.log", Output{Kind: File, Path: "query.log"}, ""},
		{"syslog", Output{Kind: Syslog, Network: "unix", Path: "/dev/log"}, ""},
		{"syslog unix:/run/systemd/journal/dev-log", Output{Kind: Syslog, Network: "unix", Path: "/run/systemd/journal/dev-log"}, ""},
		{"syslog udp://127.0.0.1:514", Output{Kind: Syslog, Network: "udp", Addr: "127.0.0.1:514"}, ""},
		{"syslog tcp://[::1]:6514", Output{Kind: Syslog, Network: "tcp", Addr: "[::1]:6514"}, ""},
		{"syslog tcp://localhost:601", Output{Kind: Syslog, Network: "tcp", Addr: "localhost:601"}, ""},

		{"", Output{}, "output needs stdout, stderr, file PATH or syslog"},
		{"stdout x", Output{}, `output stdout takes no argument, got "x"`},
		{"file", Output{}, "output file needs exactly one PATH"},
		{"file a b", Output{}, "output file needs exactly one PATH"},
		{"journal", Output{}, `unknown output "journal"`},
		{"syslog unix:", Output{}, "unix: needs a socket path"},
		{"syslog udp://127.0.0.1", Output{}, `syslog address "udp://127.0.0.1": address 127.0.0.1: missing port in address`},
		{"syslog udp://:514", Output{}, "no host"},
		{"syslog tcp://127.0.0.1:0", Output{}, `bad port "0"`},
		{"syslog tcp://127.0.0.1:70000", Output{}, `bad port "70000"`},
		{"syslog 127.0.0.1:514", Output{}, "want unix:PATH, udp://HOST:PORT or tcp://HOST:PORT"},
		{"syslog udp://127.0.0.1:514 x", Output{}, "at most one address"},
	}
	for _, tc := range tests {
		var o Output
		err := o.ParseOutput(strings.Fields(tc.args))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseOutput(%q) error = %v, want it to contain %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseOutput(%q): %v", tc.args, err)
			continue
		}
		if o != tc.want {
			t.Errorf("ParseOutput(%q) = %+v, want %+v", tc.args, o, tc.want)
		}
		if o.String() != tc.args && tc.args != "syslog" {
			t.Errorf("String() = %q, want %q", o.String(), tc.args)
		}
	}
}

func TestOptions(t *testing.T) {
	var o Output
	for _, opt := range [][]string{{"facility", "local3"}, {"output", "syslog", "udp://127.0.0.1:514"}, {"tag", "dns-1"}} {
		ok, err := o.Option(opt[0], opt[1:])
		if !ok || err != nil {
			t.Fatalf("Option(%q) = %v, %v", opt, ok, err)
		}
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.Facility.code() != 19 || o.Facility.String() != "local3" || o.tag() != "dns-1" {
		t.Errorf("facility %d %s tag %s", o.Facility.code(), o.Facility, o.tag())
	}
	if ok, _ := o.Option("format", []string{"json"}); ok {
		t.Error("Option claims format")
	}

	bad := map[string]string{
		"facility":                       "facility needs exactly one NAME",
		"facility local8":                `unknown syslog facility "local8"`,
		"facility a b":                   "facility needs exactly one NAME",
		"tag":                            "tag needs exactly one NAME",
		"tag a:b":                        `tag "a:b": want 1 to 48 printable ASCII`,
		"tag " + strings.Repeat("x", 49): "want 1 to 48",
	}
	for line, want := range bad {
		f := strings.Fields(line)
		var o Output
		_, err := o.Option(f[0], f[1:])
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Option(%q) = %v, want %q", line, err, want)
		}
	}

	o = Output{}
	o.Option("facility", []string{"daemon"})
	o.Option("output", []string{"file", "x.log"})
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "syslog output only, not to file x.log") {
		t.Errorf("Validate = %v", err)
	}
}

func TestFacilities(t *testing.T) {
	var zero Facility
	if zero.String() != "daemon" || zero.code() != 3 {
		t.Errorf("zero facility is %s (%d), want daemon (3)", zero, zero.code())
	}
	for name, code := range map[string]int{"kern": 0, "user": 1, "auth": 4, "authpriv": 10, "local0": 16, "LOCAL7": 23} {
		f, err := ParseFacility(name)
		if err != nil || f.code() != code {
			t.Errorf("ParseFacility(%q) = %d, %v; want %d", name, f.code(), err, code)
		}
	}
	if _, err := ParseFacility(""); err == nil {
		t.Error(`ParseFacility("") succeeded`)
	}
}
