package verify

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Exit codes of Run.
const (
	ExitSame      = 0 // no difference
	ExitDifferent = 1 // at least one difference
	ExitUsage     = 2 // bad flags or bad input
)

// Config is what a replay needs: the two servers and how to ask them.
type Config struct {
	BIND, Corebind netip.AddrPort
	From           []netip.Addr // local source addresses; none = the kernel's choice
	TCP            bool         // every query over TCP
	Timeout        time.Duration
	Retries        int // extra tries after a timeout
	Parallel       int // queries in flight
	QPS            int // queries sent per second to each server at most; 0 = no limit
	// Ignore holds the kinds of difference not to report (Difference.Kind):
	// differences known and accepted, such as BIND's minimal-responses.
	Ignore map[string]bool
}

// listFlag is a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// Run is `named2corefile verify ARGS…`: it reads or generates the queries,
// replays each against both servers from each -from address, prints every
// difference and a summary line, and returns ExitSame, ExitDifferent or
// ExitUsage (bad flags, unreadable files, bad query lines as FILE:LINE).
func Run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		bindAddr = fs.String("bind", "", "BIND's `ADDR:PORT` (the reference)")
		coreAddr = fs.String("corebind", "", "corebind's `ADDR:PORT`")
		queries  listFlag
		zones    listFlag
		from     listFlag
		tcp      = fs.Bool("tcp", false, "send every query over TCP (queries logged with T go over TCP anyway)")
		timeout  = fs.Duration("timeout", 2*time.Second, "how long to wait for each reply")
		retries  = fs.Int("retries", 1, "extra tries after a timeout")
		maxQ     = fs.Int("max", 0, "replay at most `N` queries (each from every -from address); 0 = all")
		parallel = fs.Int("parallel", 8, "queries in flight at once")
		qps      = fs.Int("qps", 0, "send at most `N` queries a second to each server (stay under rate limits); 0 = no limit")
		unique   = fs.Bool("unique", false, "replay each distinct query (name, type, class, flags) once")
		ignore   = fs.String("ignore", "", "do not compare these `FIELD[,FIELD…]`: "+strings.Join(fieldKinds, ", "))
	)
	fs.Var(&queries, "queries", "`FILE` of queries: a BIND query log, a corebind JSON query log or NAME TYPE [CLASS] lines; - is stdin (repeatable)")
	fs.Var(&zones, "zone", "generate queries from a zone file: `ORIGIN=FILE` (repeatable)")
	fs.Var(&from, "from", "local source `ADDR[,ADDR…]`; each query is sent from each (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: named2corefile verify -bind ADDR:PORT -corebind ADDR:PORT [-queries FILE]… [-zone ORIGIN=FILE]… [-from ADDR,…] [flags]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitSame
		}
		return ExitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "verify: "+format+"\n", a...)
		return ExitUsage
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q (query files go after -queries)", fs.Arg(0))
	}
	cfg := Config{TCP: *tcp, Timeout: *timeout, Retries: *retries, Parallel: *parallel, QPS: *qps}
	var err error
	if cfg.BIND, err = parseServer("-bind", *bindAddr); err != nil {
		return usage("%v", err)
	}
	if cfg.Corebind, err = parseServer("-corebind", *coreAddr); err != nil {
		return usage("%v", err)
	}
	if cfg.From, err = parseFrom(from, cfg.BIND, cfg.Corebind); err != nil {
		return usage("%v", err)
	}
	if cfg.Timeout <= 0 || cfg.Retries < 0 || cfg.Parallel < 1 || *maxQ < 0 || cfg.QPS < 0 {
		return usage("-timeout must be positive, -retries, -max and -qps at least 0, -parallel at least 1")
	}
	if cfg.Ignore, err = parseIgnore(*ignore); err != nil {
		return usage("%v", err)
	}
	zoneFiles, err := parseZoneFlags(zones)
	if err != nil {
		return usage("%v", err)
	}
	// Zones from a named.conf (-conf, through internal/namedconf's
	// ZoneFiles) join here as more ZoneFiles; QueriesFromZones does the rest.
	if len(queries) == 0 && len(zoneFiles) == 0 {
		return usage("no queries: give -queries FILE or -zone ORIGIN=FILE")
	}

	qs, err := collect(queries, zoneFiles, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return ExitUsage
	}
	if *unique {
		qs = uniq(qs)
	}
	if *maxQ > 0 && len(qs) > *maxQ {
		qs = qs[:*maxQ]
	}
	if len(qs) == 0 {
		return usage("the query files hold no queries")
	}
	sum := Replay(context.Background(), cfg, qs, stdout)
	if sum.Answered == 0 {
		fmt.Fprintf(stderr, "verify: neither server answered any query: check -bind %s and -corebind %s\n", cfg.BIND, cfg.Corebind)
		return ExitUsage
	}
	for _, s := range []struct {
		name    string
		addr    netip.AddrPort
		replies int
	}{{"BIND", cfg.BIND, sum.BINDReplies}, {"corebind", cfg.Corebind, sum.CorebindReplies}} {
		if s.replies == 0 {
			fmt.Fprintf(stderr, "verify: %s at %s answered none of the queries: is it running there?\n", s.name, s.addr)
		}
	}
	if sum.Different > 0 {
		return ExitDifferent
	}
	return ExitSame
}

// collect reads every query file and generates the zones' queries, in the
// order given. Each file's count goes to log.
func collect(files []string, zones []ZoneFile, log io.Writer) ([]Query, error) {
	var qs []Query
	var errs []error
	for _, path := range files {
		fq, err := ReadQueryFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(log, "%s: %s (%s)", path, plural(len(fq.Queries), "query"), fq.Format)
		if fq.Skipped > 0 {
			fmt.Fprintf(log, ", %s skipped (not queries)", plural(fq.Skipped, "line"))
		}
		fmt.Fprintln(log)
		qs = append(qs, fq.Queries...)
	}
	// The place for zones found elsewhere (named.conf's zone statements):
	// they are ZoneFiles like -zone's.
	if len(zones) > 0 {
		zq, err := QueriesFromZones(zones)
		if err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(log, "%s queries generated from %s\n", commas(len(zq)), plural(len(zones), "zone file"))
			qs = append(qs, zq...)
		}
	}
	return qs, errors.Join(errs...)
}

// parseServer reads ADDR:PORT or ADDR (port 53). Only IP addresses: verify
// must never ask a name service where to send.
func parseServer(flagName, s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, fmt.Errorf("%s ADDR:PORT is required", flagName)
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return netip.AddrPortFrom(a, 53), nil
	}
	return netip.AddrPort{}, fmt.Errorf("%s %q: want an IP address and port, such as 127.0.0.1:53 or [::1]:53", flagName, s)
}

// parseFrom reads the -from addresses; each must be of the servers' family.
func parseFrom(values []string, servers ...netip.AddrPort) ([]netip.Addr, error) {
	var addrs []netip.Addr
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("-from %q: not an IP address", s)
			}
			for _, srv := range servers {
				if a.Unmap().Is4() != srv.Addr().Unmap().Is4() {
					return nil, fmt.Errorf("-from %s cannot reach %s: not the same address family", a, srv)
				}
			}
			// An address this machine does not have would fail every
			// query on both sides alike: "same". Refuse it up front.
			pc, err := net.ListenPacket("udp", netip.AddrPortFrom(a, 0).String())
			if err != nil {
				return nil, fmt.Errorf("-from %s: not a local address (%v)", a, err)
			}
			pc.Close()
			addrs = append(addrs, a)
		}
	}
	return addrs, nil
}

// parseIgnore reads -ignore's field names.
func parseIgnore(s string) (map[string]bool, error) {
	m := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !slices.Contains(fieldKinds, f) {
			return nil, fmt.Errorf("-ignore %s: not a field; the fields are %s", f, strings.Join(fieldKinds, ", "))
		}
		m[f] = true
	}
	return m, nil
}

// parseZoneFlags reads -zone ORIGIN=FILE values.
func parseZoneFlags(values []string) ([]ZoneFile, error) {
	var zs []ZoneFile
	for _, v := range values {
		origin, file, ok := strings.Cut(v, "=")
		if !ok || origin == "" || file == "" {
			return nil, fmt.Errorf("-zone %q: want ORIGIN=FILE, such as example.org=db.example.org", v)
		}
		zs = append(zs, ZoneFile{Name: origin, File: file})
	}
	return zs, nil
}

// plural is "1 query", "2 queries", "1,000 lines".
func plural(n int, noun string) string {
	if n != 1 {
		if strings.HasSuffix(noun, "y") {
			noun = strings.TrimSuffix(noun, "y") + "ie"
		}
		noun += "s"
	}
	return commas(n) + " " + noun
}

// uniq keeps the first of each distinct query: same name (in any case),
// type, class and flags.
func uniq(qs []Query) []Query {
	type key struct {
		name         string
		qtype, class uint16
		flags        string
		bufsize      uint16
	}
	seen := map[key]bool{}
	out := qs[:0:0]
	for _, q := range qs {
		k := key{strings.ToLower(q.Name), q.Type, q.Class, q.Flags(), q.BufSize}
		if !seen[k] {
			seen[k] = true
			out = append(out, q)
		}
	}
	return out
}
