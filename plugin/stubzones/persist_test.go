package stubzones

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestZoneFileName(t *testing.T) {
	tests := []struct{ zone, want string }{
		{"example.org.", "example.org.stub"},
		{"Example.ORG.", "example.org.stub"},
		{".", "@.stub"},
		{"0/25.2.0.192.in-addr.arpa.", "0%2F25.2.0.192.in-addr.arpa.stub"},
		{`a\.b.example.`, "a%2Eb.example.stub"},
		{`..\.\..example.`, ""}, // not a valid name: hashed, never a path
		{`\047etc\047passwd.`, "%2Fetc%2Fpasswd.stub"},
		{`-_x.example.`, "-_x.example.stub"},
		{`sp\032ace.example.`, "sp%20ace.example.stub"},
		{strings.Repeat(`\255`, 63) + ".example.", ""}, // too long once escaped: hashed
	}
	for _, tc := range tests {
		got := zoneFileName(tc.zone)
		if tc.want != "" && got != tc.want {
			t.Errorf("zoneFileName(%q) = %q, want %q", tc.zone, got, tc.want)
		}
		if strings.ContainsAny(got, `/\`) || got == "." || got == ".." || strings.HasPrefix(got, ".") || len(got) > 255 {
			t.Errorf("zoneFileName(%q) = %q: not a safe file name", tc.zone, got)
		}
		if filepath.Base(zonePath("/var/lib/stub", tc.zone)) != got || filepath.Dir(zonePath("/var/lib/stub", tc.zone)) != "/var/lib/stub" {
			t.Errorf("zonePath(%q) leaves the directory: %s", tc.zone, zonePath("/var/lib/stub", tc.zone))
		}
	}
}

func testData(t testing.TB, fetched time.Time) *stubData {
	t.Helper()
	var ns []*dns.NS
	for _, rr := range rrs("example.org. 300 IN NS ns1.example.org.", "example.org. 300 IN NS ns.outside.test.") {
		ns = append(ns, rr.(*dns.NS))
	}
	d, err := newStubData(zoneName, rrs("example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 7 60 10 600 30")[0].(*dns.SOA),
		ns, rrs("ns1.example.org. 300 IN A 127.0.0.1", "ns1.example.org. 300 IN AAAA ::1"), testOptions("127.0.0.1"), fetched, "127.0.0.1:53")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := zonePath(dir, zoneName)
	fetched := time.Date(2026, 11, 21, 10, 0, 0, 123456789, time.UTC)
	d := testData(t, fetched)
	if err := save(path, zoneName, d); err != nil {
		t.Fatal(err)
	}
	got, err := load(path, zoneName, testOptions("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.fetched.Equal(fetched) || !got.expires.Equal(d.expires) || got.primary != "127.0.0.1:53" {
		t.Errorf("fetched %s expires %s primary %s", got.fetched, got.expires, got.primary)
	}
	if !slices.Equal(rrStrings(got.records()), rrStrings(d.records())) {
		t.Errorf("records %q, want %q", rrStrings(got.records()), rrStrings(d.records()))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in dir: %v", entries)
	}
	// The copy is a zone file BIND's tools read too.
	text, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(text), ";") || !strings.Contains(string(text), "\nexample.org.\t300\tIN\tSOA\t") {
		t.Errorf("saved copy:\n%s", text)
	}
}

// A copy without our header (a BIND stub zone file) counts as fetched when
// it was last written.
func TestLoadBINDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "example.org.stub")
	os.WriteFile(path, []byte(`$ORIGIN example.org.
$TTL 300
@ IN SOA ns1 hostmaster 7 60 10 600 30
  IN NS ns1
ns1 IN A 127.0.0.1
`), 0o644)
	mtime := time.Now().Add(-time.Minute).Truncate(time.Second)
	os.Chtimes(path, mtime, mtime)
	d, err := load(path, zoneName, testOptions("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !d.fetched.Equal(mtime) || len(d.ns) != 1 || len(d.glue) != 1 {
		t.Errorf("fetched %s (want %s), %d NS, %d glue", d.fetched, mtime, len(d.ns), len(d.glue))
	}
}

// The file BIND 9.18 writes for `type stub` (testdata, written by named)
// loads as it is.
func TestLoadBIND9StubFile(t *testing.T) {
	d, err := load(filepath.Join("testdata", "bind9-example.org.stub"), zoneName, testOptions("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if d.soa.Serial != 5 || len(d.ns) != 1 || len(d.glue) != 1 || d.refresh != time.Hour || d.expires.Sub(d.fetched) != 24*time.Hour {
		t.Errorf("serial %d, %d NS, %d glue, refresh %s, expire %s", d.soa.Serial, len(d.ns), len(d.glue), d.refresh, d.expires.Sub(d.fetched))
	}
}

func TestLoadCorrupt(t *testing.T) {
	good := "; zone: example.org.\n; fetched: 2026-11-21T10:00:00Z\n" +
		"example.org. 300 IN SOA ns1.example.org. h.example.org. 7 60 10 600 30\nexample.org. 300 IN NS ns1.example.org.\n"
	tests := []struct{ name, text, err string }{
		{"garbage", "\x00\x01 not a zone file {", ""},
		{"another zone", strings.Replace(good, "; zone: example.org.", "; zone: example.net.", 1), "holds zone example.net."},
		{"bad fetch time", strings.Replace(good, "2026-11-21T10:00:00Z", "yesterday", 1), "bad fetch time"},
		{"no SOA", strings.Replace(good, "example.org. 300 IN SOA ns1.example.org. h.example.org. 7 60 10 600 30\n", "", 1), "no SOA"},
		{"no NS", strings.Replace(good, "example.org. 300 IN NS ns1.example.org.\n", "", 1), "no NS"},
		{"two SOA", good + "example.org. 300 IN SOA ns1.example.org. h.example.org. 8 60 10 600 30\n", "more than one SOA"},
		{"other records", good + "www.example.org. 300 IN MX 10 mail.example.org.\n", "unexpected MX"},
		{"NS below the apex", good + "sub.example.org. 300 IN NS ns1.example.org.\n", "not the apex"},
		{"$INCLUDE", good + "$INCLUDE /etc/passwd\n", ""},
		{"truncated", good[:len(good)-20], ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "example.org.stub")
			os.WriteFile(path, []byte(tc.text), 0o644)
			d, err := load(path, zoneName, testOptions("127.0.0.1"))
			if err == nil {
				t.Fatalf("loaded %v", d.records())
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
	big := filepath.Join(t.TempDir(), "big.stub")
	os.WriteFile(big, make([]byte, maxFileSize+1), 0o644)
	if _, err := load(big, zoneName, testOptions("127.0.0.1")); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("oversized file: %v", err)
	}
}

// At startup a saved copy is served at once, with the lifetime left since
// it was fetched; a corrupt or expired copy is ignored.
func TestStartupFromDir(t *testing.T) {
	clk := newFakeClock()
	dir := t.TempDir()
	o := testOptions("127.0.0.1:1") // nobody there: every refresh fails
	o.dir = dir
	zones := map[string]*options{zoneName: o, "example.net.": o, "example.com.": o}

	fetched := clk.Now().Add(-5 * time.Minute)
	if err := save(zonePath(dir, zoneName), zoneName, testData(t, fetched)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(zonePath(dir, "example.net."), []byte("garbage {"), 0o644)
	old := testData(t, clk.Now().Add(-time.Hour))
	old.soa = rrs("example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 7 60 10 600 30")[0].(*dns.SOA)
	old.ns = rrs("example.com. 300 IN NS ns1.example.com.")
	old.glue = nil
	if err := save(zonePath(dir, "example.com."), "example.com.", old); err != nil {
		t.Fatal(err)
	}

	s := newTestStubzones(clk, zones)
	s.Next = nextHandler()
	if err := s.OnStartup("dns://:53"); err != nil {
		t.Fatal(err)
	}
	defer s.OnShutdown()
	d := s.zones[zoneName].data.Load()
	if d == nil || d.expires.Sub(clk.Now()) != 5*time.Minute {
		t.Fatalf("example.org: %v; want the saved copy with 5m left", d)
	}
	if r := serve(t, s, query("www.example.org.", dns.TypeA, false)); r.Rcode != dns.RcodeSuccess || len(r.Ns) != 2 {
		t.Errorf("served from the saved copy: %v", r)
	}
	if s.zones["example.net."].data.Load() != nil || s.zones["example.com."].data.Load() != nil {
		t.Error("a corrupt or expired copy was loaded")
	}
	if s.Ready() {
		t.Error("Ready while two zones have no data")
	}
}
