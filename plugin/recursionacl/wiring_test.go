package recursionacl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/corebind/corebind/plugin/pkg/client"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// chained is a plugin of a test chain: it records that it was reached,
// answers the names in answers (AA=1) and passes the rest on.
type chained struct {
	Next    plugin.Handler
	name    string
	answers []string
	trace   *[]string
}

func (c *chained) Name() string { return c.name }

func (c *chained) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	*c.trace = append(*c.trace, c.name)
	if slices.Contains(c.answers, r.Question[0].Name) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
	return plugin.NextOrFailure(c.name, c.Next, ctx, w, r)
}

// TestPlace builds a chain as the server does, from a config's plugin list
// with recursionacl's handlers placed where the parsing callbacks place
// them, and follows queries through it.
func TestPlace(t *testing.T) {
	// This package's build has CoreDNS's plugin.cfg, without stubzones:
	// add it after secondary, as corebind's has it.
	directives := dnsserver.Directives
	dnsserver.Directives = append(slices.Clone(directives), afterStub)
	t.Cleanup(func() { dnsserver.Directives = directives })

	var trace []string
	h := testHandler(t, &trace, 0)
	h.auth = nil
	h.Next, h.local = nil, nil
	h.cfg = &dnsserver.Config{}
	add := func(name string, answers ...string) {
		h.cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
			return &chained{Next: next, name: name, answers: answers, trace: &trace}
		})
	}
	h.cfg.AddPlugin(func(next plugin.Handler) plugin.Handler { h.Next = next; return h })
	add("cache", "cached.example.net.")
	h.place(afterCache)
	add("file", "www.example.org.")
	h.place(afterLocal)
	add("stubzones", "www.stub.test.")
	h.place(afterStub)
	add("forward", "www.example.net.")
	var chain plugin.Handler
	for _, p := range slices.Backward(h.cfg.Plugin) {
		chain = p(chain)
	}
	if err := h.checkWiring(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		client, qname string
		rd            bool
		path          string
		rcode         int
		aa            bool
	}{
		{"10.1.1.1", "www.example.net.", true, "cache file stubzones forward", dns.RcodeSuccess, false},
		{"10.1.1.1", "www.example.org.", true, "cache file", dns.RcodeSuccess, true},
		{"10.1.1.1", "www.example.org.", false, "cache file", dns.RcodeSuccess, true},
		{"10.1.1.1", "cached.example.net.", false, "cache", dns.RcodeSuccess, true},
		{"10.1.1.1", "www.stub.test.", false, "cache file stubzones", dns.RcodeSuccess, false},
		{"10.1.1.1", "www.example.net.", false, "cache file stubzones", dns.RcodeSuccess, false}, // cache miss: nothing fetched
		{"192.0.2.1", "www.example.org.", true, "file", dns.RcodeSuccess, true},
		{"192.0.2.1", "www.example.net.", true, "file", dns.RcodeRefused, false},
		{"192.0.2.1", "www.stub.test.", false, "file", dns.RcodeRefused, false},
		{"192.0.2.1", "cached.example.net.", true, "file", dns.RcodeRefused, false},
	} {
		trace = nil
		r := new(dns.Msg)
		r.SetQuestion(tc.qname, dns.TypeA)
		r.RecursionDesired = tc.rd
		w := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: tc.client})
		chain.ServeDNS(context.Background(), w, r)
		if got := strings.Join(trace, " "); got != tc.path {
			t.Errorf("%s %s rd=%v: path %q, want %q", tc.client, tc.qname, tc.rd, got, tc.path)
		}
		if w.Msg == nil {
			t.Fatalf("%s %s rd=%v: no reply", tc.client, tc.qname, tc.rd)
		}
		if w.Msg.Rcode != tc.rcode || w.Msg.Authoritative != tc.aa || len(w.Msg.Answer) != 0 {
			t.Errorf("%s %s rd=%v: got\n%v", tc.client, tc.qname, tc.rd, w.Msg)
		}
	}
}

// TestCheckWiring: without the local barrier in the chain (a plugin.cfg
// without secondary after recursionacl), the server does not start.
func TestCheckWiring(t *testing.T) {
	h := &RecursionACL{}
	if err := h.checkWiring(); err == nil {
		t.Error("no barrier placed, yet no error")
	}
}

// TestRecordsDecision: the plugins after recursionacl read its decision
// with client.Recursion.
func TestRecordsDecision(t *testing.T) {
	var trace []string
	h := testHandler(t, &trace, 0)
	var got []string
	seen := test.HandlerFunc(func(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		allowed, decided := client.Recursion(ctx)
		got = append(got, fmt.Sprint(allowed, decided))
		return dns.RcodeServerFailure, nil
	})
	h.Next, h.local = seen, seen
	for _, ip := range []string{"10.1.1.1", "192.0.2.1"} {
		r := new(dns.Msg)
		r.SetQuestion("www.example.org.", dns.TypeA)
		h.ServeDNS(context.Background(), dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: ip}), r)
	}
	if strings.Join(got, " ") != "true true false true" {
		t.Errorf("decisions seen: %v, want allowed then denied, both decided", got)
	}
}
