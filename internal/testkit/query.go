package testkit

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// probe reports whether addr answered a DNS query (any rcode).
func probe(ns *Netns, addr string) bool {
	if ns != nil {
		host, port, _ := net.SplitHostPort(addr)
		return ns.Command("dig", "+time=1", "+tries=1", "@"+host, "-p", port, "version.bind", "CH", "TXT").Run() == nil
	}
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion("version.bind.", dns.TypeTXT)
	m.Question[0].Qclass = dns.ClassCHAOS
	_, _, err := c.Exchange(m, addr)
	return err == nil
}

// Exchange sends m to addr over network ("udp" or "tcp") from the local
// address from (e.g. "127.0.0.2" to play another client; "" = any) and
// returns the reply; an error fails the test.
func Exchange(t testing.TB, network, from, addr string, m *dns.Msg) *dns.Msg {
	t.Helper()
	r, err := TryExchange(network, from, addr, m)
	if err != nil {
		t.Fatalf("testkit: %s query %s from %q to %s: %v", network, m.Question[0].String(), from, addr, err)
	}
	return r
}

// TryExchange is Exchange returning the error (e.g. a timeout when a query is
// meant to be dropped).
func TryExchange(network, from, addr string, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	if from != "" {
		ip := net.ParseIP(from)
		if network == "tcp" {
			c.Dialer = &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 2 * time.Second}
		} else {
			c.Dialer = &net.Dialer{LocalAddr: &net.UDPAddr{IP: ip}, Timeout: 2 * time.Second}
		}
	}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

// Query asks addr for name/qtype (class IN, RD set) over network from the
// local address from.
func Query(t testing.TB, network, from, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	return Exchange(t, network, from, addr, m)
}

// Dig runs dig with the given arguments (inside ns when not nil) and returns
// its output. dig's own exit status is returned too: 0 means a reply came
// back, 9 that none did.
func Dig(t testing.TB, ns *Netns, args ...string) (string, int) {
	t.Helper()
	Require(t, "dig")
	return runTool(t, ns, "dig", append([]string{"+time=2", "+tries=1"}, args...))
}

// Kdig runs Knot's kdig likewise.
func Kdig(t testing.TB, ns *Netns, args ...string) (string, int) {
	t.Helper()
	Require(t, "kdig")
	return runTool(t, ns, "kdig", append([]string{"+time=2", "+retry=0"}, args...))
}

func runTool(t testing.TB, ns *Netns, tool string, args []string) (string, int) {
	t.Helper()
	out, err := ns.Command(tool, args...).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatalf("testkit: running %s %s: %v", tool, strings.Join(args, " "), err)
	}
	return string(out), 0
}
