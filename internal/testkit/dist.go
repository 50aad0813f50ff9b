package testkit

// Helpers for the distribution tests (container image, Kubernetes drop-in,
// single-plugin import): starting binaries other than corebind's, and
// reaching servers inside a network namespace from the test process itself.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// StartProc starts cmd (any program: a binary extracted from the image, the
// vanilla CoreDNS build, ...) with its output captured, in its own process
// group; it is killed when the test ends at the latest. cmd.SysProcAttr is
// replaced.
func StartProc(t testing.TB, name string, cmd *exec.Cmd) *Proc {
	t.Helper()
	return start(t, name, cmd)
}

// Do runs f on an OS thread that has entered the namespace (nil: on the
// host), so the sockets f opens — listeners and connections — belong to the
// namespace and keep working from any goroutine afterwards.
func (n *Netns) Do(f func() error) error {
	if n == nil {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		// The thread is never unlocked: it ends with this goroutine, so no
		// other goroutine ever runs in the namespace by accident.
		runtime.LockOSThread()
		ns, err := os.Open("/var/run/netns/" + n.Name)
		if err != nil {
			errc <- fmt.Errorf("testkit: entering namespace %s: %w", n.Name, err)
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("testkit: entering namespace %s: %w", n.Name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// Listen is net.Listen inside the namespace.
func (n *Netns) Listen(t testing.TB, network, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	err := n.Do(func() (err error) {
		l, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		t.Fatalf("testkit: listening on %s in %v: %v", addr, n, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// HTTPClient is an HTTP client whose connections are made inside the
// namespace, one per request (no keep-alive: each request sees the server
// as a fresh client, like a kubelet probe).
func (n *Netns) HTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		Proxy:             nil,
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			err = n.Do(func() error {
				c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
				return err
			})
			return c, err
		},
	}}
}

// Exchange is testkit.Exchange from inside the namespace.
func (n *Netns) Exchange(t testing.TB, network, from, addr string, m *dns.Msg) *dns.Msg {
	t.Helper()
	var r *dns.Msg
	err := n.Do(func() (err error) {
		r, err = TryExchange(network, from, addr, m)
		return err
	})
	if err != nil {
		t.Fatalf("testkit: %s query %s from %q to %s in %v: %v", network, m.Question[0].String(), from, addr, n, err)
	}
	return r
}

func (n *Netns) String() string {
	if n == nil {
		return "the host"
	}
	return "namespace " + n.Name
}
