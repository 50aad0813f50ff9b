// Command named2corefile converts a BIND named.conf into a corebind
// Corefile, reports statement by statement what it carried, approximated or
// could not carry, and (named2corefile verify) replays queries against both
// servers to prove the result.
//
//	named2corefile /etc/bind/named.conf > Corefile          # report on stderr
//	named2corefile -o Corefile -report report.md named.conf
//	named2corefile -strict named.conf                       # exit 1 if anything could not be carried
//	named2corefile verify -bind 127.0.0.1:53 -corebind 127.0.0.1:1053 -queries queries.log
//
// Exit codes: 0 converted; 1 with -strict when something was not carried;
// 2 on a syntax or read error (FILE:LINE: message, no Corefile written).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/corebind/corebind/internal/convert"
	"github.com/corebind/corebind/internal/namedconf"
	"github.com/corebind/corebind/internal/verify"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const (
	exitOK     = 0
	exitStrict = 1
	exitError  = 2
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "verify" {
		vargs, err := confToZones(args[1:])
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
		return verify.Run(vargs, stdout, stderr)
	}
	fs := flag.NewFlagSet("named2corefile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the Corefile to `FILE` (default: stdout)")
	report := fs.String("report", "", "write the report as Markdown to `FILE` (default: plain lines on stderr)")
	strict := fs.Bool("strict", false, "exit 1 when any statement could not be carried")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: named2corefile [-o Corefile] [-report report.md] [-strict] named.conf
       named2corefile verify -bind ADDR:PORT -corebind ADDR:PORT [-queries FILE] [-conf named.conf] [-from ADDR,...]

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError
	}
	path := fs.Arg(0)
	cfg, err := namedconf.ParseFile(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	res, err := convert.Convert(cfg, convert.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return exitError
	}
	if *report != "" {
		var b bytes.Buffer
		if err := res.WriteMarkdown(&b, path); err == nil {
			err = os.WriteFile(*report, b.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "named2corefile: writing the report: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stderr, "%s (report in %s)\n", res.Summary(), *report)
	} else {
		res.WriteText(stderr)
	}
	if *out != "" {
		if err := os.WriteFile(*out, []byte(res.Corefile), 0o644); err != nil {
			fmt.Fprintf(stderr, "named2corefile: writing the Corefile: %v\n", err)
			return exitError
		}
	} else {
		io.WriteString(stdout, res.Corefile)
	}
	if *strict && res.Lossy() {
		return exitStrict
	}
	return exitOK
}

// confToZones turns verify's -conf named.conf into one -zone ORIGIN=FILE per
// primary zone of the configuration, so queries can be generated from the
// zones a conversion carried.
func confToZones(args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		var conf string
		switch {
		case a == "-conf" || a == "--conf":
			if i+1 >= len(args) {
				return nil, errors.New("verify: -conf needs a named.conf path")
			}
			conf = args[i+1]
			i++
		case len(a) > 6 && (a[:6] == "-conf=" || (len(a) > 7 && a[:7] == "--conf=")):
			conf = a[bytes.IndexByte([]byte(a), '=')+1:]
		default:
			out = append(out, a)
			continue
		}
		zs, err := namedconf.ZoneFiles(conf)
		if err != nil {
			return nil, err
		}
		if len(zs) == 0 {
			return nil, fmt.Errorf("verify: %s has no primary zones to generate queries from", conf)
		}
		for _, z := range zs {
			out = append(out, "-zone", z.Name+"="+z.File)
		}
	}
	return out, nil
}
