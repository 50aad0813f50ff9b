package querylog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// TestSpaceSavingGuarantees checks the algorithm's bounds on a skewed
// stream: every key counted more than N/k times is tracked, and a tracked
// count overestimates by at most its error, itself at most N/k.
func TestSpaceSavingGuarantees(t *testing.T) {
	const k, n = 50, 200000
	r := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(r, 1.2, 1, 100000)
	ss := newSpaceSaving[uint64, struct{}](k)
	exact := map[uint64]uint64{}
	for range n {
		key := zipf.Uint64()
		exact[key]++
		sl, _ := ss.slot(key)
		ss.add(sl, 1)
	}
	bound := uint64(n / k)
	if ss.min() > bound {
		t.Errorf("min %d > N/k %d", ss.min(), bound)
	}
	tracked := map[uint64]bool{}
	for _, sl := range ss.slots {
		tracked[sl.key] = true
		if sl.count < exact[sl.key] || sl.count-sl.err > exact[sl.key] || sl.err > bound {
			t.Errorf("key %d: count %d error %d, true %d", sl.key, sl.count, sl.err, exact[sl.key])
		}
	}
	for key, c := range exact {
		if c > bound && !tracked[key] {
			t.Errorf("key %d counted %d > N/k = %d is not tracked", key, c, bound)
		}
	}
	if len(ss.index) != ss.len() || ss.len() != k {
		t.Errorf("index %d, slots %d", len(ss.index), ss.len())
	}
}

func TestDistinct(t *testing.T) {
	d := newDistinct(256)
	for i := range 16 {
		d.add(mix(uint64(i)))
		d.add(mix(uint64(i))) // twice: counted once
		if got := d.count(); got != uint64(i+1) {
			t.Fatalf("count %d after %d distinct", got, i+1)
		}
	}
	for _, n := range []int{100, 1000, 100000} {
		d := newDistinct(256)
		for i := range n {
			d.add(mix(uint64(i) + 1e9))
		}
		if got := float64(d.count()); math.Abs(got-float64(n))/float64(n) > 4*0.065 {
			t.Errorf("%d distinct counted as %v", n, got)
		}
	}
}

// TestStatsFlood: a million distinct clients keep the tables at their
// size, memory flat, and the real top clients on top.
func TestStatsFlood(t *testing.T) {
	s := newStats(100, 100, time.Now())
	heavy := []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3"), netip.MustParseAddr("::1")}
	rec := record{qname: "www.example.org.", responded: true, reqSize: 40, size: 100}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 1_000_000 {
		if i%100 < 9 { // each heavy client sends 3% of the flood
			rec.client = netip.AddrPortFrom(heavy[i%3], 53)
		} else {
			b := [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
			rec.client = netip.AddrPortFrom(netip.AddrFrom4(b), 53)
		}
		rec.qname = fmt.Sprintf("n%d.example.org.", i%5000)
		s.add(&rec)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 4<<20 {
		t.Errorf("heap grew by %d bytes", grown)
	}
	snap := s.snapshot(time.Now())
	if len(snap.Tracked) != 100 || len(snap.Names) != 100 || s.tracked() != 100 {
		t.Fatalf("tracked %d clients, %d names", len(snap.Tracked), len(snap.Names))
	}
	if snap.Queries != 1_000_000 {
		t.Errorf("queries %d", snap.Queries)
	}
	if d := math.Abs(float64(snap.Clients)-910_003) / 910_003; d > 0.1 {
		t.Errorf("%d distinct clients estimated, %.0f%% off", snap.Clients, 100*d)
	}
	top := map[netip.Addr]bool{}
	for _, c := range snap.Tracked[:3] {
		top[c.Key] = true
		// 30,000 queries each; the error says by how much the count may
		// be over.
		if c.Count-c.Error > 30000 || c.Count < 30000 {
			t.Errorf("%s: %d queries (error %d), true 30000", c.Key, c.Count, c.Error)
		}
	}
	for _, h := range heavy {
		if !top[h] {
			t.Errorf("%s is not among the top 3: %+v", h, snap.Tracked[:3])
		}
	}
	if snap.ErrorBound > 1_000_000/100 {
		t.Errorf("error bound %d > N/k", snap.ErrorBound)
	}
}

func BenchmarkStatsAdd(b *testing.B) {
	s := newStats(100, 100, time.Now())
	rec := record{qname: "www.example.org.", responded: true, client: netip.MustParseAddrPort("127.0.0.2:53")}
	b.Run("same client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.add(&rec)
		}
	})
	// The bench's load: one client, 10,000 names asked uniformly, so
	// nearly every query takes the smallest of the 100 name slots.
	b.Run("distinct names", func(b *testing.B) {
		names := make([]string, 10000)
		for i := range names {
			names[i] = fmt.Sprintf("h%05d.bench.test.", i)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			rec.qname = names[(i*7919)%len(names)]
			s.add(&rec)
		}
		rec.qname = "www.example.org."
	})
	b.Run("distinct clients", func(b *testing.B) {
		b.ReportAllocs()
		i := uint32(0)
		for b.Loop() {
			i++
			rec.client = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 53)
			s.add(&rec)
		}
	})
}

// TestStatsHTTP: GET /json serves the table, POST /reset returns it and
// clears it; the listener is released on stop and can be bound again.
func TestStatsHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h, _ := newTestHandler(t, "querylog {\noutput file LOG\nstats {\nlisten "+addr+"\n}\n}", answer)
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.3"} {
		name := "www.example.org."
		if i == 2 {
			name = "nx.example.org."
		}
		h.ServeDNS(context.Background(), &test.ResponseWriter{RemoteIP: ip}, query(name, dns.TypeA))
	}
	get := func(method, path string) (int, *statsJSON) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, nil
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var j statsJSON
		if err := json.Unmarshal(body, &j); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return resp.StatusCode, &j
	}
	_, j := get("GET", "/json")
	if j.Queries != 3 || j.ClientsSeen != 2 || len(j.Clients) != 2 || j.TopSlots != 100 || j.NameSlots != 100 {
		t.Fatalf("GET /json: %+v", j)
	}
	c := j.Clients[0]
	if c.IP != "127.0.0.3" || c.Queries != 2 || c.NoError != 1 || c.NXDomain != 1 || c.RD != 2 || c.Amplification <= 1 ||
		len(c.Names) != 2 || c.FirstSeen == "" || c.LastSeen < c.FirstSeen {
		t.Errorf("client: %+v", c)
	}
	if j.Names[0].Name != "www.example.org." || j.Names[0].Queries != 2 || j.Names[0].Clients != 2 {
		t.Errorf("names: %+v", j.Names)
	}
	if code, _ := get("POST", "/json"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /json: %d", code)
	}
	if code, _ := get("GET", "/reset"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /reset: %d", code)
	}
	_, j = get("POST", "/reset")
	if j.Queries != 3 {
		t.Errorf("POST /reset returned %+v, want the table before the reset", j)
	}
	_, j = get("GET", "/json")
	if j.Queries != 0 || len(j.Clients) != 0 || len(j.Names) != 0 {
		t.Errorf("after reset: %+v", j)
	}
	// Released on reload (OnRestart), bound again if the reload fails.
	h.releaseHTTP()
	if _, err := http.Get("http://" + addr + "/json"); err == nil {
		t.Error("still serving after releaseHTTP")
	}
	h.retakeHTTP()
	if code, _ := get("GET", "/json"); code != http.StatusOK {
		t.Errorf("after retakeHTTP: %d", code)
	}
}

// TestSummary: the interval summary, in both formats, written by the
// writer on its own.
func TestSummary(t *testing.T) {
	for _, f := range []string{"bind", "json"} {
		h, path := newTestHandler(t, "querylog {\noutput file LOG\nformat "+f+"\nstats {\ninterval 1s\n}\n}", answer)
		for _, ip := range []string{"127.0.0.2", "127.0.0.2", "127.0.0.3"} {
			h.ServeDNS(context.Background(), &test.ResponseWriter{RemoteIP: ip}, query("www.example.org.", dns.TypeA))
		}
		var text string
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(text, "statistics") {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no summary after 20s:\n%s", f, text)
			}
			time.Sleep(50 * time.Millisecond)
			data, _ := os.ReadFile(path)
			text = string(data)
		}
		got := lines(t, h, path)
		text = strings.Join(got, "\n")
		switch f {
		case "bind":
			for _, want := range []string{
				" statistics: info: since=",
				" queries=3 clients=2 tracked=2 top=100 error_bound=0 names=1 name_error_bound=0",
				" statistics: info: client=127.0.0.2 queries=2 error=0 noerror=2 nxdomain=0 refused=0 servfail=0 other=0 rd=2 tcp=0 received=66 sent=128 first=",
				" qname=www.example.org:2",
				" statistics: info: name=www.example.org queries=3 error=0 clients=2",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("bind summary lacks %q:\n%s", want, text)
				}
			}
		case "json":
			found := false
			for _, line := range got {
				var j statsJSON
				if json.Unmarshal([]byte(line), &j) == nil && j.Type == "statistics" {
					found = true
					if j.Queries != 3 || len(j.Clients) != 2 || j.Clients[0].IP != "127.0.0.2" || j.Clients[0].Queries != 2 {
						t.Errorf("json summary: %s", line)
					}
				}
			}
			if !found {
				t.Errorf("no json summary:\n%s", text)
			}
		}
	}
}
