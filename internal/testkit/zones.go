package testkit

import (
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
