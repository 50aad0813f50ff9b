package testkit

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// FuzzWriter is the dns.ResponseWriter of the plugins' ServeDNS fuzz
// targets: a client at any address over UDP or TCP, keeping every message
// written. Safe for concurrent writes (a plugin may answer from another
// goroutine).
type FuzzWriter struct {
	test.ResponseWriter
	mu   sync.Mutex
	msgs []*dns.Msg
}

// NewFuzzWriter plays a client at src (see FuzzAddr) over TCP or UDP.
func NewFuzzWriter(src []byte, tcp bool) *FuzzWriter {
	return &FuzzWriter{ResponseWriter: test.ResponseWriter{RemoteIP: FuzzAddr(src).String(), TCP: tcp}}
}

// WriteMsg implements dns.ResponseWriter: it keeps a copy of m, as the wire
// would (the writer may change m afterwards).
func (w *FuzzWriter) WriteMsg(m *dns.Msg) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, m.Copy())
	return nil
}

// Msgs are the messages written so far.
func (w *FuzzWriter) Msgs() []*dns.Msg {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*dns.Msg(nil), w.msgs...)
}

// FuzzAddr turns fuzzer bytes into a client address: 16 bytes or more an
// IPv6 address (IPv4-mapped ones included), 4 or more an IPv4 address,
// fewer 127.0.0.1.
func FuzzAddr(b []byte) netip.Addr {
	switch {
	case len(b) >= 16:
		return netip.AddrFrom16([16]byte(b[:16]))
	case len(b) >= 4:
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.MustParseAddr("127.0.0.1")
}

// FuzzAddrs are seed addresses for the fuzz corpora: loopback, a private
// and a documentation network, IPv6 loopback, an IPv4-mapped address.
var FuzzAddrs = [][]byte{
	{127, 0, 0, 1},
	{10, 1, 2, 3},
	{192, 0, 2, 9},
	net.IPv6loopback,
	net.ParseIP("::ffff:10.1.2.3").To16(),
}

// CheckReplies fails the fuzz run unless what a plugin wrote for query is
// well-formed DNS: at most one message, which packs and unpacks again, is
// a response with the query's ID and opcode, and carries the query's
// question or none (what a FORMERR may do).
func CheckReplies(t testing.TB, query *dns.Msg, w *FuzzWriter) {
	t.Helper()
	msgs := w.Msgs()
	if len(msgs) > 1 {
		t.Fatalf("%d replies written to one query:\n%v", len(msgs), msgs)
	}
	if len(msgs) == 0 {
		return
	}
	m := msgs[0]
	wire, err := m.Pack()
	if err != nil {
		t.Fatalf("reply does not pack: %v\n%v", err, m)
	}
	back := new(dns.Msg)
	if err := back.Unpack(wire); err != nil {
		t.Fatalf("reply does not unpack: %v\n%v", err, m)
	}
	if !back.Response || back.Id != query.Id || back.Opcode != query.Opcode {
		t.Fatalf("reply is not a response to the query (QR %v, ID %d/%d, opcode %d/%d):\n%v", back.Response, back.Id, query.Id, back.Opcode, query.Opcode, back)
	}
	if len(back.Question) > 0 && (len(query.Question) == 0 || !strings.EqualFold(back.Question[0].Name, query.Question[0].Name) ||
		back.Question[0].Qtype != query.Question[0].Qtype || back.Question[0].Qclass != query.Question[0].Qclass) {
		t.Fatalf("reply's question %v is not the query's %v", back.Question, query.Question)
	}
}

// CheckParseError fails the fuzz run unless err, returned by a plugin's
// Corefile parser for input, names where and what the problem is: the
// Corefile position CoreDNS prints (file:line) and a message after it.
func CheckParseError(t testing.TB, input string, err error) {
	t.Helper()
	msg := err.Error()
	_, after, ok := strings.Cut(msg, "Error during parsing: ")
	if !ok || !strings.Contains(msg, ":") || strings.TrimSpace(after) == "" {
		t.Fatalf("error names no Corefile position or no problem: %q\ninput: %q", msg, input)
	}
}

// Seed adds a named input to a fuzz target's seed corpus. With
// COREBIND_FUZZ_SEEDS=write in the environment it also writes it to
// testdata/fuzz/<target>/<name>, the corpus committed beside the target,
// which every `go test` runs as a test and `go test -fuzz` starts from:
//
//	COREBIND_FUZZ_SEEDS=write go test -run '^Fuzz' ./plugin/<name>/
//
// args are the target's arguments ([]byte, string, bool, integers).
func Seed(f *testing.F, name string, args ...any) {
	f.Helper()
	f.Add(args...)
	if os.Getenv("COREBIND_FUZZ_SEEDS") != "write" {
		return
	}
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
		default:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		}
	}
	path := filepath.Join("testdata", "fuzz", f.Name(), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		f.Fatal(err)
	}
}
