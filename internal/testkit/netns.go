package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// Netns is a network namespace with only a loopback interface, for tests that
// need several servers on the same port at different addresses (a DNS tree
// root → parent → child, where a BIND resolver always talks to port 53 or to
// the one port its `port` option sets). Nothing in it can reach the outside.
type Netns struct {
	Name string
}

var netnsSeq atomic.Int64

// NewNetns creates a namespace, brings lo up and adds each address (IPv4 as
// /32, IPv6 as /128). It is deleted when the test ends. Needs root.
func NewNetns(t testing.TB, addrs ...string) *Netns {
	t.Helper()
	Require(t, "ip")
	n := &Netns{Name: fmt.Sprintf("corebind-%d-%d", os.Getpid(), netnsSeq.Add(1))}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("testkit: ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", n.Name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n.Name).Run() })
	run("-n", n.Name, "link", "set", "lo", "up")
	for _, a := range addrs {
		prefix := "/32"
		if strings.Contains(a, ":") {
			prefix = "/128"
		}
		run("-n", n.Name, "addr", "add", a+prefix, "dev", "lo")
	}
	return n
}

// Command is exec.Command run inside the namespace; a nil Netns runs it on
// the host.
func (n *Netns) Command(name string, args ...string) *exec.Cmd {
	if n == nil {
		return exec.Command(name, args...)
	}
	return exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Run runs a command inside the namespace (nil: on the host) and returns its
// combined output; a non-zero exit fails the test.
func (n *Netns) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := n.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testkit: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
