package e2e

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/corebind/corebind/internal/verify"
)

// The zone both servers serve; verifyZoneChanged differs in one record.
var verifyZone = `$TTL 300
@       IN SOA ns1 hostmaster 1 3600 600 86400 300
@       IN NS  ns1
@       IN MX  10 mail
@       IN TXT "v=spf1 -all"
ns1     IN A   127.0.0.1
www     IN A   192.0.2.80
www     IN A   192.0.2.81
www     IN AAAA 2001:db8::80
mail    IN A   192.0.2.25
alias   IN CNAME www
$GENERATE 1-4 host$ A 192.0.2.$
` + verifyBigTXT

// verifyBigTXT does not fit 1232 bytes: both servers truncate over UDP and
// verify compares their TCP replies.
var verifyBigTXT = func() string {
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, "big     IN TXT \"%d%s\"\n", i, strings.Repeat("x", 240))
	}
	return b.String()
}()

// verifyZoneChanged has one address of www and one string of big changed.
var verifyZoneChanged = strings.NewReplacer("192.0.2.81", "192.0.2.82", `"5xxx`, `"5yyy`).Replace(verifyZone)

// verifyCorefile is what the converter makes of verifyNamedOptions: the
// zone, and the blackholed client's queries dropped.
func verifyCorefile(port int) string {
	return fmt.Sprintf(`.:%d {
	bind 127.0.0.1
	acl {
		drop net 127.0.0.4/32
	}
	file db.example.org example.org
}
`, port)
}

const verifyNamedOptions = `querylog yes; blackhole { 127.0.0.4; };`

// TestVerifyAgainstBIND runs named2corefile verify's Run against BIND 9 and
// corebind serving the same zone, from three client addresses (the third
// blackholed by both), with queries from BIND's own query log (written by
// dig's queries) and generated from the zone file: no difference, exit 0.
// Then corebind serves the zone with one address changed: verify names the
// query, the source and both answers, and exits 1.
func TestVerifyAgainstBIND(t *testing.T) {
	testkit.Require(t, "dig")
	named := testkit.StartNamed(t, testkit.NamedOptions{
		Options: verifyNamedOptions,
		Conf:    `zone "example.org" { type primary; file "db.example.org"; };`,
		Files:   map[string]string{"db.example.org": verifyZone},
	})
	start := func(zone string) string {
		port := testkit.FreePort(t)
		addr := testkit.HostPort("127.0.0.1", port)
		testkit.StartCoreDNS(t, verifyCorefile(port), testkit.CoreDNSOptions{
			Wait:  addr,
			Files: map[string]string{"db.example.org": zone},
		})
		return addr
	}
	same, changed := start(verifyZone), start(verifyZoneChanged)

	// BIND's query log, as dig's queries made it: RD on and off, EDNS on
	// and off, DO, CD, TCP, names in mixed case, names that do not exist.
	p := fmt.Sprint(named.Port)
	for _, args := range [][]string{
		{"www.example.org", "A"},
		{"WWW.Example.ORG", "AAAA", "+norec"},
		{"alias.example.org", "A", "+dnssec", "+cdflag"},
		{"example.org", "MX", "+tcp"},
		{"example.org", "TXT", "+noedns"},
		{"nothere.example.org", "A"},
		{"www.example.org", "MX"},
		{"example.org", "SOA", "+norec", "+noedns"},
	} {
		if out, code := testkit.Dig(t, nil, append([]string{"-b", "127.0.0.2", "@127.0.0.1", "-p", p}, args...)...); code != 0 {
			t.Fatalf("dig %v: exit %d\n%s", args, code, out)
		}
	}
	var log strings.Builder
	for line := range strings.Lines(named.Output()) {
		// dig's queries only (testkit's start-up probe came from 127.0.0.1).
		if strings.Contains(line, " 127.0.0.2#") && strings.Contains(line, ": query: ") {
			log.WriteString(line)
		}
	}
	dir := t.TempDir()
	queries := filepath.Join(dir, "queries.log")
	zone := filepath.Join(dir, "db.example.org")
	testkit.WriteFile(t, queries, log.String())
	testkit.WriteFile(t, zone, verifyZone)

	run := func(corebind string) (int, string) {
		var out, errs bytes.Buffer
		code := verify.Run([]string{"-bind", named.Addr, "-corebind", corebind,
			"-queries", queries, "-zone", "example.org=" + zone,
			"-from", "127.0.0.2,127.0.0.3,127.0.0.4", "-timeout", "500ms", "-retries", "0"}, &out, &errs)
		if code == 2 {
			t.Fatalf("verify: exit 2\n%s%s", errs.String(), out.String())
		}
		t.Logf("verify against %s:\n%s%s", corebind, errs.String(), out.String())
		return code, out.String()
	}

	// 8 logged + 16 generated (14 owner/type pairs, the NXDOMAIN and the
	// out-of-zone probe), each from three addresses.
	code, out := run(same)
	want := "24 queries from 127.0.0.4 got no reply from either server: counted as same (e.g. a blackholed client, or both servers down)\n" +
		"72 queries, 72 same, 0 different\n"
	if code != 0 || out != want {
		t.Errorf("same zone: exit %d, output\n%s\nwant\n%s", code, out, want)
	}

	code, out = run(changed)
	var diffs []string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "corebind: ") {
			diffs = append(diffs, line)
		}
	}
	// www A and alias A (the CNAME's target) differ, from the logged query
	// and the generated ones, and big TXT (truncated over UDP, different
	// over TCP), from the two clients that get answers.
	wantDiff := "www.example.org. IN A +E(0) from 127.0.0.2: answer www.example.org. A: BIND: 192.0.2.81 +1 in both; corebind: 192.0.2.82 +1 in both\n"
	if code != 1 || !strings.Contains(out, wantDiff) || len(diffs) != 8 || !strings.HasSuffix(out, "72 queries, 64 same, 8 different\n") ||
		!strings.Contains(out, "big.example.org. IN TXT +E(0) from 127.0.0.3: answer big.example.org. TXT over TCP: BIND: \"5xxx") {
		t.Errorf("changed record: exit %d, %d differences, output\n%s\nwant among them\n%s", code, len(diffs), out, wantDiff)
	}
}
