package recursionacl

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/plugin/pkg/logsink"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/pkg/dnstest"

	"github.com/miekg/dns"
)

// prefixes writes n distinct prefixes (one IPv6 /48 per ten IPv4 /24s) to
// an allow-file and returns its path.
func prefixes(tb testing.TB, n int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("# generated for the benchmark\n")
	for i := range n {
		j := (i * 7919) % n // scrambled order
		if i%10 == 0 {
			fmt.Fprintf(&b, "2001:db8:%x::/48\n", j&0xffff)
			continue
		}
		fmt.Fprintf(&b, "%d.%d.%d.0/24\n", 11+j>>16, (j>>8)&255, j&255)
	}
	path := filepath.Join(tb.TempDir(), "allow.acl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func benchHandler(b *testing.B) *RecursionACL {
	b.Helper()
	cfg, err := parse(caddy.NewTestController("dns", "recursionacl {\n allow-file "+prefixes(b, 100000)+"\n}"))
	if err != nil {
		b.Fatal(err)
	}
	list, err := cfg.compile()
	if err != nil {
		b.Fatal(err)
	}
	h := &RecursionACL{zones: newZoneSet([]string{"."})}
	h.allow.Store(list)
	reply := func(name string) answerer {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		m.Response, m.Authoritative = true, true
		m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.IPv4(192, 0, 2, 80)}}
		return answerer{m}
	}
	h.Next = reply("www.example.net.")
	h.local = reply("www.example.org.")
	h.auth = newZoneSet([]string{"example.org."})
	return h
}

// answerer writes a prepared reply, as a cache hit would.
type answerer struct{ m *dns.Msg }

func (a answerer) Name() string { return "answerer" }
func (a answerer) ServeDNS(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	w.WriteMsg(a.m)
	return dns.RcodeSuccess, nil
}

// discard is a ResponseWriter from a fixed client that writes nowhere.
type discard struct {
	dnstest.Recorder
	remote net.Addr
}

func (d *discard) RemoteAddr() net.Addr      { return d.remote }
func (d *discard) WriteMsg(m *dns.Msg) error { return nil }

// BenchmarkMatch is the match path: client address, TSIG key check, trie
// lookup in a 100,000-prefix list.
func BenchmarkMatch(b *testing.B) {
	h := benchHandler(b)
	ctx := context.Background()
	clients := []*discard{
		{remote: &net.UDPAddr{IP: net.ParseIP("11.0.1.77"), Port: 5353}},     // listed
		{remote: &net.UDPAddr{IP: net.ParseIP("200.0.0.1"), Port: 5353}},     // not listed
		{remote: &net.TCPAddr{IP: net.ParseIP("2001:db8:a::1"), Port: 5353}}, // listed, IPv6
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.allowed(ctx, clients[i%3])
	}
}

// BenchmarkServeDNS is the whole handler for the three outcomes, with the
// context a real server gives (server, loop depth).
func BenchmarkServeDNS(b *testing.B) {
	h := benchHandler(b)
	ctx := context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{Addr: "dns://:53"})
	ctx = context.WithValue(ctx, dnsserver.LoopKey{}, 0)
	for _, tc := range []struct {
		name, client, qname string
	}{
		{"allowed", "11.0.1.77", "www.example.net."},
		{"authoritative", "200.0.0.1", "www.example.org."},
		{"denied", "200.0.0.1", "www.example.net."},
	} {
		b.Run(tc.name, func(b *testing.B) {
			w := &discard{remote: &net.UDPAddr{IP: net.ParseIP(tc.client), Port: 5353}}
			r := new(dns.Msg)
			r.SetQuestion(tc.qname, dns.TypeA)
			r.SetEdns0(1232, false)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeDNS(ctx, w, r)
			}
		})
	}
}

// BenchmarkDeniedLogged is a flood of denied queries with the denial log on:
// from one client (the rate limit suppresses nearly every line) and from
// ever-changing clients (each line is queued, until the global limit).
func BenchmarkDeniedLogged(b *testing.B) {
	h := benchHandler(b)
	var err error
	if h.denials, err = newDenialLog(logsink.Output{Kind: logsink.File, Path: filepath.Join(b.TempDir(), "security.log")}, defaultLogRate, defaultLogBurst); err != nil {
		b.Fatal(err)
	}
	if err := h.denials.q.Start(); err != nil {
		b.Fatal(err)
	}
	defer h.denials.q.Stop()
	ctx := context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{Addr: "dns://:53"})
	r := new(dns.Msg)
	r.SetQuestion("www.example.net.", dns.TypeA)
	for _, spread := range []bool{false, true} {
		b.Run(map[bool]string{false: "one-client", true: "many-clients"}[spread], func(b *testing.B) {
			ws := make([]*discard, 1024)
			for i := range ws {
				ws[i] = &discard{remote: &net.UDPAddr{IP: net.IPv4(200, 0, byte(i>>8), byte(i)), Port: 5353}}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				w := ws[0]
				if spread {
					w = ws[i%len(ws)]
				}
				h.ServeDNS(ctx, w, r)
			}
		})
	}
}

// BenchmarkLoadAllowFile100k reads and compiles a 100,000-prefix
// allow-file, as startup and a reload do.
func BenchmarkLoadAllowFile100k(b *testing.B) {
	cfg, err := parse(caddy.NewTestController("dns", "recursionacl {\n allow-file "+prefixes(b, 100000)+"\n}"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cfg.compile(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoadAllowFile100k: a 100,000-prefix allow-file loads, and every
// prefix in it matches.
func TestLoadAllowFile100k(t *testing.T) {
	path := prefixes(t, 100000)
	cfg, err := parse(caddy.NewTestController("dns", "recursionacl {\n allow-file "+path+"\n}"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	list, err := cfg.compile()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %v", time.Since(start)) // speed is the benchmark's business
	if list.Len() != 100000 {
		t.Errorf("Len() = %d", list.Len())
	}
	f, _ := readAllowFile(path)
	for _, tok := range f.tokens {
		addr := strings.TrimSuffix(tok, "/24")
		addr = strings.Replace(addr, "::/48", "::1", 1)
		if !strings.Contains(addr, ":") {
			addr = strings.TrimSuffix(addr, "0") + "9"
		}
		ip := net.ParseIP(addr)
		if ip == nil {
			t.Fatalf("bad test address %q from %q", addr, tok)
		}
		w := &discard{remote: &net.UDPAddr{IP: ip}}
		h := &RecursionACL{}
		h.allow.Store(list)
		if !h.allowed(context.Background(), w) {
			t.Fatalf("%s (from %s) not allowed", addr, tok)
		}
	}
}
