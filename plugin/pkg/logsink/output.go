// Package logsink carries log records from the DNS query path to an output
// (stdout, stderr, a file, or syslog over unix, UDP or TCP) without ever
// blocking the query path: Enqueue copies into a bounded buffer and drops (and
// counts) when it is full; one writer goroutine per Queue formats and writes.
package logsink

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Kind is the kind of an output.
type Kind uint8

// The kinds of output.
const (
	Stdout Kind = iota
	Stderr
	File
	Syslog
)

// Output says where log messages go. The zero value is stdout.
type Output struct {
	Kind Kind
	// Path is the file for File, the socket for Syslog over "unix".
	Path string
	// Network is "unix", "udp" or "tcp" for Syslog.
	Network string
	// Addr is the collector's host:port for Syslog over "udp" or "tcp".
	Addr string
	// Facility and Tag are used by Syslog only; zero values mean daemon and
	// "coredns".
	Facility Facility
	Tag      string

	facilitySet bool // for Validate: facility given with a non-syslog output
}

// DefaultSocket is the local syslog socket.
const DefaultSocket = "/dev/log"

// DefaultTag is the syslog program name used when none is given.
const DefaultTag = "coredns"

// ParseOutput parses `stdout`, `stderr`, `file PATH` or `syslog [unix:PATH |
// udp://HOST:PORT | tcp://HOST:PORT]`, keeping o's facility and tag.
func (o *Output) ParseOutput(args []string) error {
	if len(args) == 0 {
		return errors.New("output needs stdout, stderr, file PATH or syslog [unix:PATH | udp://HOST:PORT | tcp://HOST:PORT]")
	}
	o.Path, o.Network, o.Addr = "", "", ""
	switch args[0] {
	case "stdout", "stderr":
		if len(args) != 1 {
			return fmt.Errorf("output %s takes no argument, got %q", args[0], strings.Join(args[1:], " "))
		}
		o.Kind = Stdout
		if args[0] == "stderr" {
			o.Kind = Stderr
		}
	case "file":
		if len(args) != 2 {
			return errors.New("output file needs exactly one PATH")
		}
		o.Kind, o.Path = File, args[1]
	case "syslog":
		o.Kind = Syslog
		switch len(args) {
		case 1:
			o.Network, o.Path = "unix", DefaultSocket
		case 2:
			if err := o.parseSyslogAddr(args[1]); err != nil {
				return err
			}
		default:
			return errors.New("output syslog takes at most one address: unix:PATH, udp://HOST:PORT or tcp://HOST:PORT")
		}
	default:
		return fmt.Errorf("unknown output %q: want stdout, stderr, file PATH or syslog", args[0])
	}
	return nil
}

func (o *Output) parseSyslogAddr(s string) error {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		o.Network, o.Path = "unix", path
		if path == "" {
			return fmt.Errorf("syslog address %q: unix: needs a socket path, e.g. unix:/dev/log", s)
		}
		return nil
	}
	if !strings.HasPrefix(s, "udp://") && !strings.HasPrefix(s, "tcp://") {
		return fmt.Errorf("syslog address %q: want unix:PATH, udp://HOST:PORT or tcp://HOST:PORT", s)
	}
	o.Network, o.Addr = s[:3], s[len("udp://"):]
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("syslog address %q: %v (want %s://HOST:PORT)", s, err, o.Network)
	}
	if host == "" {
		return fmt.Errorf("syslog address %q: no host (want %s://HOST:PORT)", s, o.Network)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fmt.Errorf("syslog address %q: bad port %q", s, port)
	}
	return nil
}

// Option parses the options every logsink user shares ("output", "facility",
// "tag"), reporting whether name was one; call Validate once the block is read.
func (o *Output) Option(name string, args []string) (bool, error) {
	switch name {
	case "output":
		return true, o.ParseOutput(args)
	case "facility":
		if len(args) != 1 {
			return true, errors.New("facility needs exactly one NAME, e.g. daemon or local0")
		}
		f, err := ParseFacility(args[0])
		if err != nil {
			return true, err
		}
		o.Facility, o.facilitySet = f, true
		return true, nil
	case "tag":
		if len(args) != 1 {
			return true, errors.New("tag needs exactly one NAME")
		}
		if !validTag(args[0]) {
			return true, fmt.Errorf("tag %q: want 1 to 48 printable ASCII characters without spaces, ':' or '['", args[0])
		}
		o.Tag = args[0]
		return true, nil
	}
	return false, nil
}

// Validate checks that facility and tag come with a syslog output only.
func (o *Output) Validate() error {
	if o.Kind != Syslog && (o.facilitySet || o.Tag != "") {
		return fmt.Errorf("facility and tag apply to syslog output only, not to %s", o)
	}
	return nil
}

func validTag(s string) bool {
	bad := func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(":[]", r) }
	return s != "" && len(s) <= 48 && !strings.ContainsFunc(s, bad) // RFC 5424 APP-NAME is at most 48 characters
}

// String is the output as written in a Corefile.
func (o Output) String() string {
	switch o.Kind {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	case File:
		return "file " + o.Path
	}
	if o.Network == "unix" {
		return "syslog unix:" + o.Path
	}
	return "syslog " + o.Network + "://" + o.Addr
}

func (o Output) tag() string {
	if o.Tag == "" {
		return DefaultTag
	}
	return o.Tag
}
