package recursionacl

import (
	"errors"
	"strings"
	"testing"

	"github.com/corebind/corebind/plugin/pkg/dnsreply"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// sink records what reaches the client, in order.
type sink struct {
	test.ResponseWriter
	got    []string
	last   *dns.Msg
	err    error
	closed bool
}

func (s *sink) WriteMsg(m *dns.Msg) error {
	s.got = append(s.got, m.Question[0].Name+ra(m.RecursionAvailable))
	s.last = m
	return s.err
}

func (s *sink) Write(b []byte) (int, error) {
	s.got = append(s.got, "raw"+ra(b[3]&0x80 != 0))
	return len(b), nil
}

func (s *sink) Close() error { s.closed = true; return nil }

func ra(on bool) string {
	if on {
		return "+ra"
	}
	return "-ra"
}

func reply(name string, ra bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	m.Response, m.RecursionAvailable = true, ra
	return m
}

// TestRAWriterWritesThrough: every reply goes out when the plugin writes
// it, with RA set as the client may; the plugin's own message is left as it
// was; the write's error comes back.
func TestRAWriterWritesThrough(t *testing.T) {
	s := &sink{}
	w := &raWriter{Writer: dnsreply.Writer{ResponseWriter: s}, ra: true}
	a := reply("a.", false)
	w.WriteMsg(a)
	if got := join(s.got); got != "a.+ra" {
		t.Fatalf("client got %q", got)
	}
	if a.RecursionAvailable {
		t.Error("the plugin's message was changed, not a copy")
	}
	packed, _ := reply("c.", false).Pack()
	w.Write(packed)
	if got := join(s.got); got != "a.+ra raw+ra" || packed[3]&0x80 != 0 {
		t.Errorf("client got %q; plugin's buffer changed: %v", got, packed[3]&0x80 != 0)
	}

	s = &sink{err: errors.New("gone")}
	w = &raWriter{Writer: dnsreply.Writer{ResponseWriter: s}, ra: false}
	if err := w.WriteMsg(reply("a.", true)); err == nil || join(s.got) != "a.-ra" {
		t.Errorf("write error %v, client got %q", err, join(s.got))
	}
}

// TestRAWriterEDE: a denied client's reply gets EDE 18 once a lookup made
// for it was refused, on a copy.
func TestRAWriterEDE(t *testing.T) {
	s := &sink{}
	chased := false
	w := &raWriter{Writer: dnsreply.Writer{ResponseWriter: s}, chased: &chased}
	m := reply("a.", false)
	m.SetEdns0(1232, false)
	chased = true
	w.WriteMsg(m)
	if len(m.IsEdns0().Option) != 0 {
		t.Error("the plugin's OPT record was changed")
	}
	if !hasEDE(s.last, dns.ExtendedErrorCodeProhibited) {
		t.Errorf("no EDE 18 in %v", s.last)
	}
	s = &sink{}
	w = &raWriter{Writer: dnsreply.Writer{ResponseWriter: s}, chased: &chased}
	w.WriteMsg(reply("b.", false)) // no OPT from the plugin: one is added
	if !hasEDE(s.last, dns.ExtendedErrorCodeProhibited) {
		t.Errorf("no EDE 18 in %v", s.last)
	}
}

func join(s []string) string { return strings.Join(s, " ") }
