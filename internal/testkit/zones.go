package testkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin/file"
	"github.com/miekg/dns"
)

// FileZones is CoreDNS's file plugin holding zones (origin → zone file
// text): real authoritative data, with referrals, glue and CNAME chasing,
// for plugin tests to put behind or beside the plugin they test.
func FileZones(t testing.TB, zones map[string]string) file.File {
	t.Helper()
	f := file.File{Zones: file.Zones{Z: map[string]*file.Zone{}}}
	for origin, text := range zones {
		SetZone(t, &f, origin, text)
	}
	return f
}

// SetZone loads text as the zone origin into f, adding it or replacing the
// zone held, as a reload of the file plugin does.
func SetZone(t testing.TB, f *file.File, origin, text string) {
	t.Helper()
	origin = dns.Fqdn(origin)
	z, err := file.Parse(strings.NewReader(text), origin, "test", 0)
	if err != nil {
		t.Fatalf("testkit: zone %s: %v", origin, err)
	}
	if _, ok := f.Z[origin]; !ok {
		f.Names = append(f.Names, origin)
	}
	f.Z[origin] = z
}

// Zone is the text of a test zone: $TTL 300, the SOA and NS records every
// test zone starts with (ns1 and hostmaster below the origin, serial 1,
// negative TTL 300), then records (zone file lines, each ending in a
// newline), which give at least ns1's address.
func Zone(records string) string {
	return "$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\n" + records
}

// CopyDir copies the tree from into to (a test's corpus into its temporary
// directory). edit, when not nil, may rewrite each file's content on the
// way, e.g. absolute paths in a named.conf.
func CopyDir(t testing.TB, from, to string, edit func(path string, b []byte) []byte) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if edit != nil {
			b = edit(p, b)
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
