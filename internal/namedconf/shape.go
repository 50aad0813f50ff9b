package namedconf

import "fmt"

// The shapes of the statements whose form the parser checks. BIND's grammar
// is generic enough that a missing ';' would silently glue two statements
// together; knowing that "recursion" takes one value and that "zone" ends
// with its block lets the parser report it as named-checkconf does.

// single are statements that take exactly one value.
var single = set(
	"directory", "version", "hostname", "server-id", "recursion", "querylog", "forward",
	"type", "notify", "max-cache-size", "max-cache-ttl", "max-ncache-ttl", "dnssec-validation",
	"pid-file", "port", "min-refresh-time", "max-refresh-time", "min-retry-time", "max-retry-time",
	"empty-zones-enable", "auth-nxdomain", "algorithm", "secret", "print-time", "print-category",
	"print-severity", "match-recursive-only", "minimal-responses", "statistics-file", "dump-file",
	"memstatistics-file", "masterfile-format", "key-directory", "inline-signing",
	"zone-statistics", "allow-new-zones", "ixfr-from-differences", "max-journal-size",
	"session-keyfile", "bindkeys-file", "managed-keys-directory", "responses-per-second",
	"window", "slip", "errors-per-second", "nxdomains-per-second", "referrals-per-second",
	"nodata-per-second", "all-per-second", "log-only", "qps-scale", "max-table-size",
	"min-table-size", "ipv4-prefix-length", "ipv6-prefix-length", "statistics-interval",
	"cleaning-interval", "interface-interval", "heartbeat-interval", "recursive-clients",
	"tcp-clients", "max-udp-size", "edns-udp-size", "notify-delay", "serial-update-method",
	"update-check-ksk", "check-integrity", "check-sibling", "check-wildcard", "check-mx",
	"check-srv-cname", "check-dup-records", "host-statistics", "host-statistics-max",
	"empty-server", "empty-contact", "transfers-in", "transfers-out", "transfers-per-ns",
	"transfer-format", "max-transfer-time-in", "max-transfer-time-out", "max-transfer-idle-in",
	"max-transfer-idle-out", "lame-ttl", "servfail-ttl", "prefetch-disable", "flush-zones-on-shutdown",
	"rrset-order-default", "provide-ixfr", "request-ixfr", "edns", "bogus", "keep-response-order-default",
)

// blocky are statements that end with their block: nothing may follow it.
var blocky = set(
	"options", "logging", "acl", "zone", "view", "controls", "statistics-channels",
	"allow-query", "allow-query-cache", "allow-query-on", "allow-query-cache-on",
	"allow-recursion", "allow-recursion-on", "allow-transfer", "allow-update", "allow-notify",
	"allow-update-forwarding", "blackhole", "forwarders", "also-notify", "listen-on",
	"listen-on-v6", "match-clients", "match-destinations", "primaries", "masters", "channel",
	"category", "server", "tls", "rate-limit", "managed-keys", "trust-anchors",
	"trusted-keys", "response-policy", "sortlist", "keys", "update-policy", "exempt-clients",
	"server-addresses", "server-names", "http", "plugin",
)

// needBody are the top-level and view-level statements that must have a block.
var needBody = set("options", "logging", "acl", "zone", "view", "key", "controls", "statistics-channels", "masters", "primaries")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// check validates the statement's shape where it is known. level is the
// block depth the statement sits at (0 = file level).
func check(s *Statement, level int) error {
	name := s.Name()
	args := s.Args()
	if len(s.Values) > 0 && s.Values[0].Kind != Word {
		return nil // an element such as "\"acl\";" or "{ … };"
	}
	switch {
	case single[name]:
		if len(args) == 0 {
			return &Error{s.Pos, fmt.Sprintf("'%s' needs a value", name)}
		}
		if args[0].Kind == Block {
			return &Error{args[0].Pos, fmt.Sprintf("'%s' takes a single value, not a list", name)}
		}
		if len(args) > 1 {
			return &Error{args[1].Pos, "missing ';' before " + args[1].quoted()}
		}
	case (blocky[name] && !(name == "zone" && level >= 2)) || (name == "key" && s.HasBody()) || (name == "dnssec-policy" && s.HasBody()):
		for i, a := range args {
			if a.Kind == Block && i+1 < len(args) && name != "controls" {
				return &Error{args[i+1].Pos, "missing ';' before " + args[i+1].quoted()}
			}
		}
	}
	if level <= 1 && needBody[name] && !s.HasBody() && (level == 0 || name == "zone") {
		// "masters"/"primaries" inside a zone are blocks too, but at level 1
		// inside options they do not exist; only check the file level and
		// what a view holds.
		if level == 0 || len(args) > 0 {
			at := s.Pos
			if len(args) > 0 {
				at = args[len(args)-1].Pos
			}
			return &Error{at, fmt.Sprintf("expected '{' in '%s' statement", name)}
		}
	}
	return nil
}
