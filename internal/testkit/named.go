package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NamedOptions describe a BIND 9 named for a test.
type NamedOptions struct {
	Netns   *Netns
	Listen  string // IPv4 address to listen on; default 127.0.0.1
	Listen6 string // IPv6 address to listen on too, e.g. "::1"; default none
	Port    int    // default: a free port
	// Options are extra statements inside options { }, e.g. "recursion yes;".
	Options string
	// Conf is appended after options { }: zone statements, keys, views.
	Conf string
	// Files are written into the working directory before start (zone files,
	// hint files); zone statements name them relative to it.
	Files map[string]string
	// LogFile, when set, runs named with -f instead of -g (with -g, named
	// logs everything to stderr and ignores the logging statement) and sends
	// every category at severity info to this file in Dir, with BIND's
	// file-channel prefix (print-time, print-category, print-severity). Conf
	// must then hold no logging statement of its own.
	LogFile string
	// Logging runs named with -f instead of -g, so that a logging { }
	// statement in Conf takes effect (-g sends everything to stderr and
	// ignores it), e.g. a file channel for the queries category. Keep
	// "category default { default_stderr; };" in it: Output, WaitOutput and
	// Reload read what named writes there.
	Logging bool
}

// Named is a running named.
type Named struct {
	*Proc
	t    testing.TB
	opts NamedOptions
	Dir  string // named's working directory ("directory" option)
	Log  string // the path of LogFile, "" without it
	Addr string // Listen:Port
	Port int
}

// StartNamed writes named.conf into a fresh directory and starts named in the
// foreground (-g), waiting until it answers. Defaults keep BIND quiet and
// local: no recursion unless Options enable it, no NOTIFY, no DNSSEC
// validation, no control channel, no empty zones (so TEST-NET reverse zones
// are not answered by BIND itself).
func StartNamed(t testing.TB, opts NamedOptions) *Named {
	t.Helper()
	Require(t, "named")
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1"
	}
	if opts.Port == 0 {
		if opts.Netns != nil {
			opts.Port = 53
		} else {
			opts.Port = FreePort(t)
		}
	}
	n := &Named{t: t, opts: opts, Dir: t.TempDir(), Port: opts.Port}
	n.Addr = HostPort(opts.Listen, opts.Port)
	if opts.LogFile != "" {
		n.Log = filepath.Join(n.Dir, opts.LogFile)
	}
	for name, content := range opts.Files {
		WriteFile(t, filepath.Join(n.Dir, name), content)
	}
	WriteFile(t, filepath.Join(n.Dir, "named.conf"), n.conf())
	n.Start()
	return n
}

func (n *Named) conf() string {
	// BIND rejects an option given twice: recursion is off unless Options
	// set it.
	recursion := "recursion no;"
	if strings.Contains(n.opts.Options, "recursion ") {
		recursion = ""
	}
	logging := ""
	if n.opts.LogFile != "" {
		logging = fmt.Sprintf(`logging {
	channel file { file %q; print-time yes; print-category yes; print-severity yes; severity info; };
	category default { file; };
	category queries { file; };
};`, n.Log)
	}
	v6 := "none;"
	if n.opts.Listen6 != "" {
		v6 = n.opts.Listen6 + ";"
	}
	return fmt.Sprintf(`options {
	directory %[1]q;
	pid-file none;
	session-keyfile %[7]q;
	managed-keys-directory %[1]q;
	listen-on port %[2]d { %[3]s; };
	listen-on-v6 port %[2]d { %[4]s };
	%[8]s
	notify no;
	dnssec-validation no;
	empty-zones-enable no;
	minimal-responses no;
	%[5]s
};
controls { };
%[6]s
%[9]s
`, n.Dir, n.opts.Port, n.opts.Listen, v6, n.opts.Options, n.opts.Conf, filepath.Join(n.Dir, "session.key"), recursion, logging)
}

// Start starts named (again, after Stop) on the same directory.
func (n *Named) Start() {
	n.t.Helper()
	mode := "-g"
	if n.opts.LogFile != "" || n.opts.Logging {
		mode = "-f"
	}
	cmd := n.opts.Netns.Command("named", mode, "-c", filepath.Join(n.Dir, "named.conf"))
	cmd.Dir = n.Dir
	n.Proc = start(n.t, "named", cmd)
	WaitDNS(n.t, n.opts.Netns, n.Addr, n.Proc)
}

// WriteFile replaces a file in named's directory (e.g. a zone with a bumped
// serial); call Reload afterwards. BIND reloads a zone only when its file's
// modification time changed, in whole seconds: a file rewritten within the
// second it was loaded would be skipped, so WriteFile moves the time on.
func (n *Named) WriteFile(name, content string) {
	n.t.Helper()
	path := filepath.Join(n.Dir, name)
	var before time.Time
	if fi, err := os.Stat(path); err == nil {
		before = fi.ModTime()
	}
	WriteFile(n.t, path, content)
	if fi, err := os.Stat(path); err == nil && !before.IsZero() && fi.ModTime().Unix() <= before.Unix() {
		later := before.Truncate(time.Second).Add(time.Second)
		if err := os.Chtimes(path, later, later); err != nil {
			n.t.Fatalf("testkit: %v", err)
		}
	}
}

// Reload makes named re-read its configuration and zones (SIGHUP, what
// `rndc reload` does) and waits until it says so.
func (n *Named) Reload() {
	n.t.Helper()
	before := strings.Count(n.Logged(), "reloading configuration succeeded")
	n.Signal(syscall.SIGHUP)
	for range 200 {
		if strings.Count(n.Logged(), "reloading configuration succeeded") > before {
			return
		}
		if n.Exited() {
			break
		}
		sleep20()
	}
	n.t.Fatalf("testkit: named did not reload:\n%s", n.Output())
}

// Logged returns what named has logged so far: the LogFile's contents when
// one is set, its output (stderr, with -g) otherwise.
func (n *Named) Logged() string {
	if n.Log == "" {
		return n.Output()
	}
	b, _ := os.ReadFile(n.Log)
	return string(b)
}

// StartNamedConf starts named in the foreground on a named.conf written by
// the test (a whole configuration, not testkit's), in dir, inside ns (nil:
// the host), and waits until wait (ADDR:PORT) answers.
func StartNamedConf(t testing.TB, ns *Netns, dir, conf, wait string) *Proc {
	t.Helper()
	Require(t, "named")
	cmd := ns.Command("named", "-g", "-c", conf)
	cmd.Dir = dir
	p := start(t, "named", cmd)
	WaitDNS(t, ns, wait, p)
	return p
}
