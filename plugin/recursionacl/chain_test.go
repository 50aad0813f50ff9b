package recursionacl

import (
	"context"
	"fmt"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/cache"
	"github.com/coredns/coredns/plugin/file"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// declares is a plugin declaring its names, as corebind's rfc2317 does.
type declares struct {
	Next plugin.Handler
	name string
}

func (d declares) Name() string                                                        { return "declares" }
func (d declares) Authoritative(qname string) bool                                     { return qname == d.name }
func (d declares) ServeDNS(context.Context, dns.ResponseWriter, *dns.Msg) (int, error) { return 0, nil }

// TestWire: the handler after cache is where denied clients' authoritative
// queries go; every file directive and every Authority in the chain is a
// source, found along the Next fields.
func TestWire(t *testing.T) {
	two := file.File{Zones: file.Zones{Names: []string{"example.net."}}}
	one := file.File{Zones: file.Zones{Names: []string{"example.org."}}, Next: two}
	d := declares{Next: one, name: "2.2.0.192.in-addr.arpa."}
	c := cache.New()
	c.Next = d
	h := &RecursionACL{Next: c}
	if err := h.wire(&dnsserver.Config{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.local.(declares); !ok {
		t.Errorf("local = %T, want the handler after cache", h.local)
	}
	if got := fmt.Sprintf("%T", h.auth); got != "[]recursionacl.source" || len(h.auth) != 3 {
		t.Fatalf("sources = %#v", h.auth)
	}
	w := &test.ResponseWriter{}
	for name, want := range map[string]bool{
		"www.example.org.": true, "www.example.net.": true, "2.2.0.192.in-addr.arpa.": true,
		"3.2.0.192.in-addr.arpa.": false, "example.com.": false,
	} {
		r := new(dns.Msg)
		r.SetQuestion(name, dns.TypeA)
		if got := h.authoritative(context.Background(), w, r); got != want {
			t.Errorf("%s: authoritative = %v, want %v", name, got, want)
		}
	}

	// The authoritative line replaces detection.
	if err := h.wire(&dnsserver.Config{}, newZoneSet([]string{"example.com."})); err != nil {
		t.Fatal(err)
	}
	r := new(dns.Msg)
	r.SetQuestion("www.example.org.", dns.TypeA)
	if len(h.auth) != 1 || h.authoritative(context.Background(), dnstest.NewRecorder(w), r) {
		t.Errorf("with an authoritative line, sources = %v", h.auth)
	}

	// Without cache, denied clients' authoritative queries take the chain.
	h = &RecursionACL{Next: one}
	if err := h.wire(&dnsserver.Config{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.local.(file.File); !ok || len(h.auth) != 2 {
		t.Errorf("without cache: local %T, %d sources", h.local, len(h.auth))
	}
}
