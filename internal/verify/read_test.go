package verify

import (
	"os"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// mustRead reads a query file and checks the format it was read as, the
// lines it skipped (skipped < 0: any number) and, when given, the queries
// (as checkQueries lists them).
func mustRead(t *testing.T, path string, format Format, skipped int, want ...string) *FileQueries {
	t.Helper()
	fq, err := ReadQueryFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if fq.Format != format || (skipped >= 0 && fq.Skipped != skipped) {
		t.Errorf("%s: format %v, skipped %d; want %v, %d", path, fq.Format, fq.Skipped, format, skipped)
	}
	if len(want) > 0 {
		checkQueries(t, fq.Queries, want)
	}
	return fq
}

// got lists queries as BIND logs them, with their origin.
func got(qs []Query) []string {
	s := make([]string, len(qs))
	for i, q := range qs {
		s[i] = q.Origin + " " + q.String()
	}
	return s
}

func checkQueries(t *testing.T, qs []Query, want []string) {
	t.Helper()
	g := got(qs)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("queries:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

// TestReadBIND918 reads lines BIND 9.18 wrote (captured from named -f with a
// file channel printing time, category and severity, and from named -g):
// start-up and security lines are skipped; flags, classes, escaped names,
// the root, unknown types, ECS suffixes and IPv6 are read.
func TestReadBIND918(t *testing.T) {
	fq := mustRead(t, "testdata/bind918.log", FormatBINDLog, 2,
		"testdata/bind918.log:2 www.example.org. IN A +E(0)",
		"testdata/bind918.log:3 www.example.org. IN AAAA -E(0)DC",
		"testdata/bind918.log:4 example.org. IN SOA +E(0)T",
		`testdata/bind918.log:5 we\032ird\.na\"me.example.org. IN TXT +`,
		"testdata/bind918.log:6 version.bind. CH A +E(0)",
		"testdata/bind918.log:7 TXT. CH A +E(0)",
		"testdata/bind918.log:8 . IN NS +E(0)",
		"testdata/bind918.log:9 www.example.org. IN A +E(0)",
		"testdata/bind918.log:10 www.example.org. IN A +E(0)",
		"testdata/bind918.log:11 www.example.org. IN A +E(0)",
		"testdata/bind918.log:12 x.example.org. IN TYPE65000 +E(0)",
		"testdata/bind918.log:14 www.example.org. IN MX -E(0)",
		"testdata/bind918.log:15 www.example.org. IN ANY +E(0)TD",
	)
	// The escaped name goes out as BIND received it: one label with a
	// space, a dot and a quote.
	m := fq.Queries[3].Msg()
	buf, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(buf), "\x0cwe ird.na\"me\x07example") {
		t.Errorf("escaped name packed as %q", buf)
	}
}

// TestReadBIND920 reads the 9.20+ destination form with a port, syslog
// prefixes, and an old client form without @0x.
func TestReadBIND920(t *testing.T) {
	fq := mustRead(t, "testdata/bind920.log", FormatBINDLog, -1,
		"testdata/bind920.log:4 Www.Example.ORG. IN A +E(0)",
		"testdata/bind920.log:5 example.org. IN NS -E(0)TDC",
		"testdata/bind920.log:6 mail.example.org. IN MX +E(0)",
	)
	q := fq.Queries[1]
	if q.RD || !q.TCP || !q.DO || !q.CD || !q.EDNS {
		t.Errorf("flags -E(0)TDC read as %+v", q)
	}
	m := q.Msg()
	if m.RecursionDesired || !m.CheckingDisabled || m.IsEdns0() == nil || !m.IsEdns0().Do() {
		t.Errorf("message for -E(0)TDC: %v", m)
	}
}

func TestReadJSON(t *testing.T) {
	fq := mustRead(t, "testdata/querylog.json", FormatJSON, 1,
		"testdata/querylog.json:1 www.example.org. IN A +E(0)D",
		`testdata/querylog.json:3 we\032ird.example.org. CH TYPE65000 -TC`,
	)
	if opt := fq.Queries[0].Msg().IsEdns0(); opt == nil || opt.UDPSize() != 1232 {
		t.Errorf("EDNS buffer size not replayed: %v", opt)
	}
	if fq.Queries[1].Msg().IsEdns0() != nil {
		t.Error("a query logged without EDNS is replayed with EDNS")
	}
}

func TestReadList(t *testing.T) {
	mustRead(t, "testdata/list.txt", FormatList, -1,
		"testdata/list.txt:2 www.example.org. IN A +E(0)",
		"testdata/list.txt:3 example.org. IN MX +E(0)",
		"testdata/list.txt:4 version.bind. CH TXT +E(0)",
		"testdata/list.txt:6 mail.example.org. IN AAAA +E(0)",
	)
}

// TestReadErrors: every bad line is named FILE:LINE with what is wrong;
// nothing panics.
func TestReadErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"bind flags", "client @0x1 127.0.0.1#5 (a): query: a IN A +X (127.0.0.1)\n", `q.log:1: unknown flag 'X' in "+X"`},
		{"bind no flags", "x\nclient @0x1 127.0.0.1#5 (a): query: a IN A\n", "q.log:2: want NAME CLASS TYPE FLAGS (DESTINATION)"},
		{"bind type", "client 127.0.0.1#5 (a): query: a IN BOGUS + (127.0.0.1)\n", `q.log:1: unknown type "BOGUS"`},
		{"bind class", "client 127.0.0.1#5 (a): query: a XX A + (127.0.0.1)\n", `q.log:1: unknown class "XX"`},
		{"bind client", "client nowhere (a): query: a IN A + (127.0.0.1)\n", `q.log:1: want the client as ADDRESS#PORT`},
		{"bind dst", "client 127.0.0.1#5 (a): query: a IN A + 127.0.0.1\n", `q.log:1: want the destination address in parentheses`},
		{"bind name", "client 127.0.0.1#5 (a): query: a..b IN A + (127.0.0.1)\n", `q.log:1: bad name "a..b"`},
		{"bind edns", "client 127.0.0.1#5 (a): query: a IN A +E(x) (127.0.0.1)\n", `q.log:1: bad EDNS version`},
		{"json", "{\"type\":\"query\",\"qname\":\"a.\"}\n{bad\n", "q.log:1: query record without \"qname\" or \"qtype\"\nq.log:2: bad JSON"},
		{"list", "a A\nb\nc A IN CH\nd IN CH\n", "q.log:2: want NAME TYPE [CLASS], got 1 fields\nq.log:3: want NAME TYPE [CLASS], got 4 fields\nq.log:4: unknown type or class \"CH\""},
		{"long name", strings.Repeat("abcdefghij.", 26) + " A\n", "q.log:1: bad name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadQueries(strings.NewReader(tc.in), "q.log")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

// TestGenerate: every owner and type once (case-insensitively), $GENERATE,
// $INCLUDE and $ORIGIN followed, an NXDOMAIN probe per zone and one
// out-of-zone probe without RD.
func TestGenerate(t *testing.T) {
	qs, err := QueriesFromZones([]ZoneFile{{Name: "example.org", File: "testdata/zones/db.example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	checkQueries(t, qs, []string{
		"zone example.org example.org. IN SOA +E(0)",
		"zone example.org example.org. IN NS +E(0)",
		"zone example.org example.org. IN MX +E(0)",
		"zone example.org ns1.example.org. IN A +E(0)",
		"zone example.org www.example.org. IN A +E(0)",
		"zone example.org WWW.example.org. IN AAAA +E(0)",
		"zone example.org host1.example.org. IN A +E(0)",
		"zone example.org host2.example.org. IN A +E(0)",
		"zone example.org host3.example.org. IN A +E(0)",
		"zone example.org sub.example.org. IN TXT +E(0)",
		"zone example.org x.deeper.sub.example.org. IN CNAME +E(0)",
		"zone example.org (NXDOMAIN probe) nxdomain-verify-probe.example.org. IN A +E(0)",
		"out-of-zone probe out-of-zone-verify-probe.invalid. IN A -E(0)",
	})

	_, err = QueriesFromZones([]ZoneFile{{Name: "example.org", File: "testdata/zones/missing"}})
	if err == nil || !strings.Contains(err.Error(), "zone example.org: open testdata/zones/missing") {
		t.Errorf("missing file: %v", err)
	}
	bad := t.TempDir() + "/db.bad"
	os.WriteFile(bad, []byte("@ IN SOA ns1 h 1 2 3 4 5\nwww IN A 300.1.1.1\n"), 0o644)
	_, err = QueriesFromZones([]ZoneFile{{Name: "example.org", File: bad}})
	if err == nil || !strings.Contains(err.Error(), "db.bad") || !strings.Contains(err.Error(), "line: 2") {
		t.Errorf("bad zone file: %v", err)
	}
	if q := qs[len(qs)-1].Msg(); q.RecursionDesired || q.Question[0].Qtype != dns.TypeA {
		t.Errorf("out-of-zone probe: %v", q)
	}
}

// TestReadCorebindLogs reads what ./coredns's querylog wrote (captured from
// a run with dig as the client): its BIND format with response lines
// (skipped) and its JSON format give the same queries.
func TestReadCorebindLogs(t *testing.T) {
	want := []string{
		"www.example.org. IN A +E(0)",
		"WWW.example.org. IN AAAA -E(0)DC",
		"example.org. IN SOA +E(0)T",
		`we\032ird\.na\"me.example.org. IN TXT +`,
		"www.example.org. IN A +E(0)",
	}
	for _, tc := range []struct {
		file    string
		format  Format
		skipped int
	}{{"testdata/corebind-bind.log", FormatBINDLog, 5}, {"testdata/corebind.json", FormatJSON, 0}} {
		fq := mustRead(t, tc.file, tc.format, tc.skipped)
		var g []string
		for _, q := range fq.Queries {
			g = append(g, q.String())
		}
		if strings.Join(g, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", tc.file, strings.Join(g, "\n"), strings.Join(want, "\n"))
		}
	}
}
