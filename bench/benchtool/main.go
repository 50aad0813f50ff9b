// Command benchtool is the Go half of corebind's benchmark harness
// (bench/run.sh). It generates the zones, query files and prefix lists the
// scenarios need, picks free ports, floods a server from many distinct
// source addresses (querylog's bounded-memory run), and turns a run's raw
// dnsperf and go test outputs into RESULTS.md and results.json.
//
// Every generator is deterministic: the same flags write the same bytes, so
// two runs of the benchmark measure the same data.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

// command is one subcommand: its one-line description and its entry point,
// which parses its own flags.
type command struct {
	summary string
	run     func(fs *flag.FlagSet, args []string) error
}

var commands = map[string]command{
	"zone":     {"write an authoritative zone of numbered names", cmdZone},
	"queries":  {"write a dnsperf query file for a zone written by zone", cmdQueries},
	"prefixes": {"write an allow list of distinct prefixes, one per line", cmdPrefixes},
	"chaos":    {"write CH-class TXT queries in dnsperf's binary (-B) format", cmdChaos},
	"rfc2317":  {"write the rfc2317 scenario's zones, delegations and queries", cmdRFC2317},
	"ports":    {"print free loopback ports (UDP and TCP), outside the ephemeral range", cmdPorts},
	"flood":    {"query a server from many distinct 127.0.0.0/8 source addresses", cmdFlood},
	"amplify":  {"play a reflection attack from one spoofed source; bytes out / bytes in", cmdAmplify},
	"report":   {"write RESULTS.md and results.json from a run's raw outputs", cmdReport},
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	cmd, ok := commands[name]
	if !ok {
		usage()
		os.Exit(2)
	}
	fs := flag.NewFlagSet("benchtool "+name, flag.ExitOnError)
	if err := cmd.run(fs, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "benchtool %s: %v\n", name, err)
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: benchtool COMMAND [flags]   (benchtool COMMAND -h for its flags)\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(os.Stderr, b.String())
}

// create opens path for writing, or returns stdout for "-".
func create(path string) (*os.File, error) {
	if path == "-" {
		return os.Stdout, nil
	}
	return os.Create(path)
}

// writeJSON writes v, indented, to path ("-": stdout): a command's result.
func writeJSON(path string, v any) error {
	f, err := create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	if path != "-" {
		return f.Close()
	}
	return nil
}
