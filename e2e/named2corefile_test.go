package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
	"github.com/miekg/dns"
)

// The corpus of internal/convert/testdata/corpus, each configuration run by
// BIND 9 and its conversion run by ./coredns, side by side in a network
// namespace of their own, and `named2corefile verify` asking both the same
// questions from an office address (127.0.0.1) and an outsider
// (127.0.0.66). Two peers stand for the rest of the world: 127.0.0.53 is
// authoritative for the zones the corpus refers to (stub and secondary
// primaries, "the Internet"'s example.net) and 127.0.0.54 is the resolver
// the configurations forward to.
const (
	n2cPrimary   = "127.0.0.53"
	n2cForwarder = "127.0.0.54"
)

// n2cPeerZones are the primary's zones: name → records after the SOA.
var n2cPeerZones = map[string]string{
	"example.net":     "www A 198.51.100.80\nmail A 198.51.100.25\n@ MX 10 mail\n",
	"example.com":     "www A 192.0.2.180\n",
	"corp.example":    "www A 10.1.0.80\nintranet A 10.1.0.10\n",
	"hr.example":      "payroll A 10.2.0.10\n",
	"eng.example":     "build A 10.3.0.10\n",
	"lab.example":     "bench A 10.4.0.10\n",
	"10.in-addr.arpa": "1.0.0 PTR gw.corp.example.\n",
	// delegated from the corpus's own primary zones (delegations)
	"branch.office.lan": "host A 192.168.20.5\n",
	"lab.example.com":   "bench A 10.20.5.10\n",
}

func n2cPeerConf(files map[string]string) string {
	var conf strings.Builder
	for z, recs := range n2cPeerZones {
		ns := "ns." + z + "."
		files["db."+z] = "$TTL 300\n@ SOA " + ns + " hostmaster." + z + ". 1 3600 900 604800 300\n@ NS " + ns + "\n" +
			ns + " A " + n2cPrimary + "\n$ORIGIN " + z + ".\n" + recs
		conf.WriteString(`zone "` + z + `" { type primary; file "db.` + z + `"; allow-transfer { any; }; };` + "\n")
	}
	return conf.String()
}

// n2cRewrite makes a corpus named.conf runnable here: files under the test
// directory, no pid file, no DNSSEC trust anchor maintenance (nothing may
// leave the namespace anyway), an empty control channel.
func n2cRewrite(conf, dir string) string {
	conf = strings.ReplaceAll(conf, "/etc/bind/", dir+"/")
	conf = strings.ReplaceAll(conf, "/usr/share/dns/", dir+"/")
	conf = strings.ReplaceAll(conf, `"/var/cache/bind"`, `"`+dir+`"`)
	conf = regexp.MustCompile(`pid-file "[^"]*";`).ReplaceAllString(conf, "pid-file none;")
	conf = strings.ReplaceAll(conf, "dnssec-validation auto;", "dnssec-validation no;")
	return conf
}

// n2cKnown are the differences the report announces, by corpus: each
// difference verify prints must match one, and each pattern names the
// report entry that explains it. Everything else is a failure.
var n2cKnown = map[string][]*regexp.Regexp{
	// "recursion from the root hints: not carried": BIND refers a
	// non-recursive query for an unknown name to the root; CoreDNS has no
	// iterative resolver.
	"debian": {regexp.MustCompile(`^out-of-zone probe: .* -E\(0\) from .*: (rcode: BIND: NOERROR; corebind: REFUSED|authority \. NS: BIND: a\.root-servers\.net\.; corebind: \(none\))$`)},
	// "recursion no": recursionacl's REFUSED carries EDE 18 (Prohibited),
	// which BIND sends only when allow-recursion denies, not with recursion no.
	"split-horizon": {ede18,
		// "zone "example.com": names below its delegations": with
		// minimal-responses no BIND adds the delegated zone's NS to the
		// answers it resolved; delegations leaves the authority empty.
		regexp.MustCompile(`: \S+\.lab\.example\.com\. IN A \+E\(0\) from 127\.0\.0\.1: authority lab\.example\.com\. NS: BIND: ns\.lab\.example\.com\.; corebind: \(none\)$`)},
	"authoritative": {ede18},
	"rfc2317-child": {ede18},
	"rfc2317-parent": {ede18,
		// "minimal-responses (default no-auth-recursive)": CoreDNS's
		// minimal empties the authority section of a CNAME answer into a
		// delegated block, where BIND keeps the referral's NS records.
		regexp.MustCompile(`^\S+queries\.txt:\d+: \d+\.2\.0\.192\.in-addr\.arpa\. IN PTR \+E\(0\) from .*: authority \S+ NS: BIND: .*; corebind: \(none\)$`)},
}

// n2cLoads are the zones each corpus loads from a peer (secondary, stub).
var n2cLoads = map[string][]string{
	"authoritative": {"example.com."},
	"stubs":         {"corp.example.", "hr.example.", "eng.example.", "10.in-addr.arpa.", "lab.example."},
}

// n2cKnownAll apply to every corpus. "version", "hostname", "server-id":
// chaosmask answers the identity names with BIND's text but AA clear and
// no authority section, where BIND's built-in CH zones set AA and add
// their NS (or SOA).
//
// An RD=0 query missing the cache (verify's out-of-zone probe): BIND refers
// it to the closest delegation it knows, the root from its hints; corebind
// answers RD=0 from the cache only and has no root hints, so its reply is
// NOERROR with an empty authority section (recursionacl README,
// "Differences from BIND").
var n2cKnownAll = []*regexp.Regexp{
	regexp.MustCompile(`^out-of-zone probe: .* -E\(0\) from .*: authority \. NS: BIND: a\.root-servers\.net\..*; corebind: \(none\)$`),
	regexp.MustCompile(`: (version\.bind|hostname\.bind|id\.server)\. CH TXT .* from .*: (flag AA: BIND: set; corebind: clear|authority (version\.bind|hostname\.bind|id\.server)\. CH (NS|SOA): BIND: .*; corebind: \(none\))$`),
}

var ede18 = regexp.MustCompile(`: EDE: BIND: none; corebind: 18 \(Prohibited\)$`)

func TestNamed2CorefileCorpus(t *testing.T) {
	n2c := testkit.Named2Corefile(t)
	corpus := filepath.Join(testkit.RepoRoot(), "internal/convert/testdata/corpus")
	for _, name := range []string{"debian", "split-horizon", "office-resolver", "authoritative", "rfc2317-parent", "rfc2317-child", "stubs"} {
		t.Run(name, func(t *testing.T) {
			ns := testkit.NewNetns(t, n2cPrimary, n2cForwarder)
			files := map[string]string{}
			peerConf := n2cPeerConf(files)
			testkit.StartNamed(t, testkit.NamedOptions{Netns: ns, Listen: n2cPrimary, Port: 53, Conf: peerConf, Files: files})
			testkit.StartNamed(t, testkit.NamedOptions{Netns: ns, Listen: n2cForwarder, Port: 53,
				Options: "recursion yes; allow-recursion { any; }; forward only; forwarders { " + n2cPrimary + "; };"})

			dir := t.TempDir()
			testkit.CopyDir(t, filepath.Join(corpus, name), dir, nil)
			for _, sub := range []string{"stub", "secondary"} {
				if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
				if err != nil || fi.IsDir() || !strings.Contains(filepath.Base(p), "conf") {
					return err
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				return os.WriteFile(p, []byte(n2cRewrite(string(b), dir)), 0o644)
			})
			if err != nil {
				t.Fatal(err)
			}
			conf := filepath.Join(dir, "named.conf")

			// The conversion runs inside the namespace, so that localhost
			// and localnets are the namespace's, as for BIND.
			cmd := ns.Command(n2c, "-o", filepath.Join(dir, "Corefile"), "-report", filepath.Join(dir, "report.md"), conf)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("named2corefile: %v\n%s", err, out)
			}
			corefile, err := os.ReadFile(filepath.Join(dir, "Corefile"))
			if err != nil {
				t.Fatal(err)
			}
			// CoreDNS on port 1053 beside BIND on 53; its metrics beside
			// BIND's statistics channel.
			cf := strings.ReplaceAll(string(corefile), ".:53 {", ".:1053 {")
			cf = strings.ReplaceAll(cf, ":8053", ":8153")
			core := testkit.StartCoreDNS(t, cf, testkit.CoreDNSOptions{Netns: ns, Wait: "127.0.0.1:1053"})
			named := testkit.StartNamedConf(t, ns, dir, conf, "127.0.0.1:53")

			// Secondary and stub zones load in the background on both.
			for _, z := range n2cLoads[name] {
				for _, srv := range []string{"127.0.0.1:53", "127.0.0.1:1053"} {
					testkit.Eventually(10*time.Second, func() bool {
						m := new(dns.Msg)
						m.SetQuestion(z, dns.TypeSOA)
						var r *dns.Msg
						err := ns.Do(func() error {
							var err error
							r, err = dns.Exchange(m, srv)
							return err
						})
						return err == nil && r.Rcode != dns.RcodeServerFailure
					})
				}
			}

			args := []string{"verify", "-bind", "127.0.0.1:53", "-corebind", "127.0.0.1:1053",
				"-from", "127.0.0.1,127.0.0.13,127.0.0.66", "-queries", filepath.Join(dir, "queries.txt")}
			if name != "stubs" { // the only configuration without primary zones
				args = append(args, "-conf", conf)
			}
			out, err := ns.Command(n2c, args...).CombinedOutput()
			if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
				t.Fatalf("verify: %v\n%s", err, out)
			}
			var unexpected []string
			known := 0
			for _, l := range strings.Split(string(out), "\n") {
				if !strings.Contains(l, " from 127.") || !strings.Contains(l, "BIND:") {
					continue
				}
				ok := false
				for _, re := range append(n2cKnown[name], n2cKnownAll...) {
					ok = ok || re.MatchString(l)
				}
				if ok {
					known++
				} else {
					unexpected = append(unexpected, l)
				}
			}
			if len(unexpected) > 0 {
				report, _ := os.ReadFile(filepath.Join(dir, "report.md"))
				t.Errorf("verify found differences the report does not explain:\n%s\n--- verify:\n%s\n--- Corefile:\n%s\n--- report:\n%s\n--- coredns:\n%s",
					strings.Join(unexpected, "\n"), out, cf, report, core.Output())
			}
			if !strings.Contains(string(out), " queries, ") {
				t.Errorf("verify printed no summary:\n%s", out)
			}
			t.Logf("%s (%d known differences)", lastLine(string(out)), known)
			if name == "authoritative" {
				n2cRateLimit(t, ns)
			}
			_ = named
		})
	}
}

// n2cRateLimit checks the authoritative corpus's rate-limit (10 a second,
// the monitoring host 127.0.0.1 exempt) on both servers with the same
// bursts: an outsider's burst of 40 identical queries gets at most 10
// answers a second spanned and truncated replies (slip 2) for the rest or
// silence; the exempt host's burst is answered whole.
func n2cRateLimit(t *testing.T, ns *testkit.Netns) {
	t.Helper()
	msgs := func() []*dns.Msg {
		ms := make([]*dns.Msg, 40)
		for i := range ms {
			ms[i] = new(dns.Msg)
			ms[i].SetQuestion("ns1.example.org.", dns.TypeA)
			ms[i].RecursionDesired = false
		}
		return ms
	}
	burst := func(from, server string) testkit.BurstResult {
		var r testkit.BurstResult
		_ = ns.Do(func() error {
			r = testkit.Burst(t, from, server, msgs(), 500*time.Millisecond)
			return nil
		})
		return r
	}
	for _, srv := range []struct{ name, addr string }{{"BIND", "127.0.0.1:53"}, {"corebind", "127.0.0.1:1053"}} {
		r := burst("127.0.0.66", srv.addr)
		t.Logf("rate-limit, %s, outsider: %v", srv.name, r)
		if r.Answered < 10 || r.Answered > 10*r.Seconds || r.Slipped == 0 || r.Answered+r.Slipped+r.Dropped != 40 {
			t.Errorf("rate-limit, %s: outsider burst %v, want 10 answers a second spanned and the rest slipped or dropped", srv.name, r)
		}
		if r := burst("127.0.0.1", srv.addr); r.Answered != 40 {
			t.Errorf("rate-limit, %s: exempt-clients burst %v, want all 40 answered", srv.name, r)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// The command's exit codes and error form, on the built binary.
func TestNamed2CorefileExitCodes(t *testing.T) {
	n2c := testkit.Named2Corefile(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	testkit.WriteFile(t, bad, "options {\n\trecursion yes\n\tallow-recursion { any; };\n};\n")
	cmd := exec.Command(n2c, "-o", filepath.Join(dir, "Corefile"), bad)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("syntax error: exit %v, want 2\n%s", err, out)
	}
	if want := bad + ":3: missing ';' before 'allow-recursion'"; !strings.Contains(string(out), want) {
		t.Errorf("got %q, want %q", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "Corefile")); err == nil {
		t.Errorf("a Corefile was written despite the error")
	}

	good := filepath.Join(dir, "named.conf")
	testkit.WriteFile(t, good, "options { recursion no; response-policy { zone \"rpz\"; }; };\n")
	if out, err := exec.Command(n2c, "-o", filepath.Join(dir, "Corefile"), good).CombinedOutput(); err != nil {
		t.Fatalf("without -strict: %v\n%s", err, out)
	}
	cmd = exec.Command(n2c, "-strict", "-o", filepath.Join(dir, "Corefile"), good)
	out, err = cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("-strict with response-policy: exit %v, want 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "named.conf:1: options: response-policy { … }: not carried") {
		t.Errorf("report:\n%s", out)
	}
}
