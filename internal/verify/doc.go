// Package verify is `named2corefile verify`: it replays DNS queries against
// two servers, BIND 9 (the reference) and corebind, and reports every
// difference in their replies, the proof that a named.conf converted by
// named2corefile answers as BIND did.
//
//	named2corefile verify -bind 127.0.0.1:53 -corebind 127.0.0.1:1053 -queries queries.log
//	named2corefile verify -bind 127.0.0.1:53 -corebind 127.0.0.1:1053 \
//	    -zone example.org=/etc/bind/db.example.org -from 127.0.0.2,127.0.0.3
//
// It needs no BIND on the machine and sends only to the two addresses given
// (IP addresses, never names to resolve), from the local addresses given.
//
// # Queries
//
// -queries FILE (repeatable; - is standard input) reads, by content:
//   - a BIND 9 query log: the lines of the queries category, with or without
//     the file channel's time, category and severity, a syslog prefix, the
//     9.18 "(127.0.0.1)" or 9.20+ "(127.0.0.1#53)" destination, an
//     "[ECS …]" suffix (not replayed); every other line of the file is
//     skipped, and corebind's querylog in its bind format reads the same. The flags
//     are replayed: + (RD), E(n) (EDNS version n), D (DO), C (CD), T (over
//     TCP); S (signed) and V/K (cookies) are not: queries go unsigned and
//     without cookies.
//   - a corebind querylog JSON log ("type":"query" records; rd, cd, do,
//     edns_version, edns_bufsize and proto are replayed);
//   - plain NAME TYPE [CLASS] lines (dnsperf's format; # and ; comments).
//
// -zone ORIGIN=FILE (repeatable) generates one query per owner name and
// type of the zone file ($INCLUDE, $ORIGIN, $GENERATE followed), an
// NXDOMAIN probe per zone (nxdomain-verify-probe.ORIGIN) and one
// out-of-zone probe (out-of-zone-verify-probe.invalid, RD clear so that a
// resolver never asks the Internet for it). List and generated queries
// carry RD and EDNS 0 with a 1232-byte buffer, as dig sends them.
//
// -unique keeps the first of each distinct query (name in any case, type,
// class, flags). -max N keeps the first N queries. Each is sent from every
// -from address (none: the kernel picks), over UDP unless logged over TCP
// or -tcp is set.
// A timeout is retried -retries times, -timeout apart. -parallel N queries
// are in flight at once; -qps N paces them (a server with rate-limit
// would otherwise drop or truncate a fast replay's answers).
//
// # Comparison
//
// For each query and source: the rcode (with EDNS's extended bits), the AA,
// RA and TC flags, the answer and authority sections as RRsets, and the
// Extended DNS Error codes. TTLs, record order, duplicate records and the
// case of names (owners and names inside the data) are ignored; the
// additional section and EDE text are not compared. When both UDP replies
// are truncated, the query is asked again over TCP and those replies are
// compared too ("… over TCP").
//
// -ignore FIELD[,FIELD…] leaves fields out: rcode, aa, ra, tc, answer,
// authority, ede. BIND 9.18's default minimal-responses no-auth-recursive,
// for one, leaves the authority section of positive answers to RD queries
// empty where CoreDNS's file plugin adds the zone's NS: -ignore authority
// (or minimal-responses no; on the BIND side) compares the rest.
//
// No reply from one server is a difference; no reply from either (a
// blackholed client) counts as the same and is said so per source.
//
// # Output
//
// One line per difference on standard output:
//
//	queries.log:12: www.example.org. IN A +E(0) from 127.0.0.2: answer www.example.org. A: BIND: 192.0.2.80; corebind: 192.0.2.81
//
// (where the query came from, the query as BIND logs it, the source, the
// field, both values), then the summary:
//
//	1,943 queries, 1,941 same, 2 different
//
// Exit status 0 without differences, 1 with any, 2 for bad flags or input
// (FILE:LINE for bad query lines) or when neither server answered at all.
package verify
