package recursionacl

import (
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// sink records what reaches the client, in order.
type sink struct {
	test.ResponseWriter
	got    []string
	closed bool
}

func (s *sink) WriteMsg(m *dns.Msg) error {
	s.got = append(s.got, m.Question[0].Name+ra(m.RecursionAvailable))
	return nil
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

// TestRAWriterHolds: a UDP query's reply waits for flush; later writes keep
// their order; TCP and other opcodes go out at once.
func TestRAWriterHolds(t *testing.T) {
	query := new(dns.Msg).SetQuestion("q.", dns.TypeA)
	notify := new(dns.Msg).SetNotify("example.org.")

	s := &sink{}
	w := newRAWriter(s, query, true)
	w.WriteMsg(reply("a.", false))
	if len(s.got) != 0 {
		t.Fatalf("a UDP reply went out before flush: %v", s.got)
	}
	w.WriteMsg(reply("b.", false))
	packed, _ := reply("c.", true).Pack()
	w.Write(packed)
	w.flush()
	w.flush()
	if got := join(s.got); got != "a.+ra b.+ra raw+ra" {
		t.Errorf("client got %s", got)
	}

	s = &sink{}
	w = newRAWriter(s, query, false)
	w.WriteMsg(reply("a.", true))
	w.Close()
	if got := join(s.got); got != "a.-ra" || !s.closed {
		t.Errorf("close: client got %s, closed %v", got, s.closed)
	}

	s = &sink{ResponseWriter: test.ResponseWriter{TCP: true}}
	w = newRAWriter(s, query, true)
	w.WriteMsg(reply("a.", false))
	if got := join(s.got); got != "a.+ra" {
		t.Errorf("TCP reply held: client got %q", got)
	}

	s = &sink{}
	w = newRAWriter(s, notify, true)
	w.WriteMsg(reply("a.", false))
	if got := join(s.got); got != "a.+ra" {
		t.Errorf("NOTIFY reply held: client got %q", got)
	}
}

func join(s []string) string { return strings.Join(s, " ") }
