package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConf(t *testing.T, text string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "named.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func TestRunSyntaxError(t *testing.T) {
	dir, conf := writeConf(t, "options {\n\tversion \"x\"\n};\n")
	var out, errb bytes.Buffer
	if code := run([]string{"-o", filepath.Join(dir, "Corefile"), conf}, &out, &errb); code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	if want := conf + ":3: missing ';' before '}'"; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "Corefile")); err == nil {
		t.Error("Corefile written despite the error")
	}
}

func TestRunReportAndStrict(t *testing.T) {
	dir, conf := writeConf(t, "options { recursion no; dnssec-validation auto; };\n")
	var out, errb bytes.Buffer
	report := filepath.Join(dir, "report.md")
	if code := run([]string{"-report", report, conf}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), ".:53 {") || !strings.Contains(out.String(), "allow none") {
		t.Errorf("Corefile:\n%s", out.String())
	}
	md, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(md), "## Not carried") || !strings.Contains(string(md), "dnssec-validation auto") {
		t.Errorf("report (%v):\n%s", err, md)
	}
	if !strings.HasPrefix(errb.String(), "named2corefile: ") || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("stderr with -report, want the summary line: %s", errb.String())
	}
	errb.Reset()
	out.Reset()
	if code := run([]string{"-strict", "-o", filepath.Join(dir, "Corefile"), conf}, &out, &errb); code != exitStrict {
		t.Fatalf("-strict exit %d, want %d", code, exitStrict)
	}
	if !strings.Contains(errb.String(), "not carried") {
		t.Errorf("stderr: %s", errb.String())
	}
}

func TestConfToZones(t *testing.T) {
	dir, conf := writeConf(t, `zone "a.example" { type primary; file "db.a"; }; zone "b.example" { type secondary; masters { 192.0.2.1; }; };`)
	args, err := confToZones([]string{"-bind", "127.0.0.1:53", "-conf", conf, "-from", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := "-bind 127.0.0.1:53 -zone a.example.=" + filepath.Join(dir, "db.a") + " -from 127.0.0.1"
	if got := strings.Join(args, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
