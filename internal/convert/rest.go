package convert

import (
	"sort"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
)

// known holds what the converter says about statements it does not turn
// into Corefile text: the status and the reason, with the alternative.
var known = map[string]mark{
	"directory":         {Carried, "relative file names are resolved against it", ""},
	"dnssec-validation": {NotCarried, "CoreDNS's forward does not validate DNSSEC: forward to a validating resolver you run", ""},
	"managed-keys":      {NotCarried, "DNSSEC trust anchors: CoreDNS does not validate; forward to a validating resolver", ""},
	"trust-anchors":     {NotCarried, "DNSSEC trust anchors: CoreDNS does not validate; forward to a validating resolver", ""},
	"trusted-keys":      {NotCarried, "DNSSEC trust anchors: CoreDNS does not validate; forward to a validating resolver", ""},
	"dnssec-policy":     {NotCarried, "zone signing: sign the zone files with dnssec-signzone (or CoreDNS's sign plugin) and serve the signed files", ""},
	"inline-signing":    {NotCarried, "zone signing: serve pre-signed zone files (CoreDNS's sign plugin signs files offline)", ""},
	"auto-dnssec":       {NotCarried, "zone signing: serve pre-signed zone files", ""},
	"key-directory":     {NotCarried, "zone signing keys: see the sign and dnssec plugins", ""},

	"response-policy":        {NotCarried, "response policy zones (RPZ): no CoreDNS equivalent in corebind's build; the acl, template and rewrite plugins cover simple cases", ""},
	"controls":               {NotCarried, "CoreDNS has no rndc: the reload plugin re-reads the Corefile, SIGUSR1 reloads, SIGTERM stops", ""},
	"pid-file":               {NotCarried, "start coredns with -pidfile PATH", ""},
	"dump-file":              {NotCarried, "no cache dump in CoreDNS", ""},
	"statistics-file":        {NotCarried, "no rndc stats: use the prometheus plugin or querylog stats", ""},
	"memstatistics-file":     {NotCarried, "no memory statistics file: use the prometheus plugin", ""},
	"session-keyfile":        {NotCarried, "no dynamic update session key in CoreDNS", ""},
	"bindkeys-file":          {NotCarried, "DNSSEC trust anchors: CoreDNS does not validate", ""},
	"managed-keys-directory": {NotCarried, "DNSSEC trust anchors: CoreDNS does not validate", ""},
	"auth-nxdomain":          {Carried, "CoreDNS never sets AA on answers it is not authoritative for (auth-nxdomain no)", ""},
	"empty-zones-enable":     {Carried, "", ""},
	"notify":                 {Approx, "the transfer plugin notifies the addresses in its to list, not the zones' NS hosts", ""},
	"also-notify":            {Approx, "see the zones' transfer directives", ""},
	"server":                 {NotCarried, "per-server options (keys, edns, bogus) are not converted; the forward plugin has per-upstream options", ""},
	"tls":                    {NotCarried, "DNS over TLS: write a tls:// server block with the tls plugin", ""},
	"http":                   {NotCarried, "DNS over HTTPS: write an https:// server block with the tls plugin", ""},
	"sortlist":               {NotCarried, "no answer sorting by client in CoreDNS (loadbalance shuffles)", ""},
	"rrset-order":            {NotCarried, "CoreDNS's loadbalance plugin shuffles A/AAAA; fixed orders are not available", ""},
	"check-names":            {Carried, "nothing to do: CoreDNS does not check names", ""},
	"zone-statistics":        {Approx, "CoreDNS's prometheus metrics count per server block zone", ""},
	"recursive-clients":      {Approx, "the forward plugin's max_concurrent is the nearest limit; left at its default", ""},
	"tcp-clients":            {Approx, "CoreDNS has no TCP client limit of its own; left to the kernel", ""},
	"max-udp-size":           {Approx, "the bufsize plugin sets the advertised size; not written", ""},
	"edns-udp-size":          {Approx, "the bufsize plugin sets the advertised size; not written", ""},
	"allow-update":           {NotCarried, "dynamic updates are not converted; the zones are served from their files", ""},
	"allow-notify":           {Carried, "CoreDNS's secondary accepts NOTIFY from its primaries", ""},
	"transfer-source":        {NotCarried, "CoreDNS's secondary uses the system's source address", ""},
	"notify-source":          {Approx, "the transfer plugin's source sets the NOTIFY source address; not written", ""},
	"masterfile-format":      {Approx, "CoreDNS reads text zone files only: convert raw files with named-compilezone -F text", ""},
	"version":                {Carried, "", ""},
	"hostname":               {Carried, "", ""},
	"server-id":              {Carried, "", ""},
	"rate-limit":             {NotCarried, "not used: no converted server block takes it (each view has its own)", ""},
	"prefetch":               {Approx, "CoreDNS's cache has prefetch, configured differently; left at its default (off)", ""},
	"serve-stale":            {Approx, "CoreDNS's cache serve_stale is the nearest; not written", ""},
	"stale-answer-enable":    {Approx, "CoreDNS's cache serve_stale is the nearest; not written", ""},
	"ixfr-from-differences":  {Carried, "nothing to do: CoreDNS serves AXFR", ""},
	"forward":                {Carried, "", ""},
	"include":                {Carried, "", ""},
}

// entries builds the report: every statement of named.conf in the order
// read, with what the conversion did to it, plus notes about defaults.
func (c *converter) entries() []Entry {
	var out []Entry
	add := func(s *namedconf.Statement, what string) {
		ms := c.marks[s]
		if len(ms) == 0 {
			if k, ok := known[s.Name()]; ok {
				ms = []mark{k}
			} else {
				ms = []mark{{NotCarried, "named2corefile has no equivalent for it", ""}}
			}
		}
		// The same verdict in every view is said once; different ones
		// name their view.
		var uniq []mark
		seen := map[mark]bool{}
		for _, m := range ms {
			k := mark{m.status, m.note, ""}
			if !seen[k] {
				seen[k] = true
				uniq = append(uniq, m)
			}
		}
		for _, m := range uniq {
			note := m.note
			if m.scope != "" && len(uniq) > 1 {
				note = strings.TrimSuffix(m.scope+": "+note, ": ")
			}
			out = append(out, Entry{Pos: s.Pos, What: what, Status: m.status, Note: note})
		}
	}
	var body func(prefix string, stmts []*namedconf.Statement)
	body = func(prefix string, stmts []*namedconf.Statement) {
		for _, s := range stmts {
			what := prefix + head(s)
			switch s.Name() {
			case "zone":
				add(s, what)
				body(prefix+strings.TrimSuffix(head(s), " { … }")+": ", s.Body())
			case "view", "options":
				if s.Name() == "view" {
					add(s, what)
				}
				body(prefix+strings.TrimSuffix(head(s), " { … }")+": ", s.Body())
			case "logging":
				body("logging: ", s.Body())
			default:
				add(s, what)
			}
		}
	}
	body("", c.cfg.Statements)
	for _, inc := range c.cfg.Includes {
		out = append(out, Entry{Pos: inc.Pos, What: "include \"" + inc.Path + "\"", Status: Carried, Note: "read " + inc.File})
	}
	out = append(out, c.extra...)
	order := map[string]int{c.cfg.File: 0}
	for i, inc := range c.cfg.Includes {
		if _, ok := order[inc.File]; !ok {
			order[inc.File] = i + 1
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if order[a.File] != order[b.File] {
			return order[a.File] < order[b.File]
		}
		return a.Line < b.Line
	})
	return out
}

// head writes the start of a statement: its name and the values before its
// block, e.g. `zone "example.org"`, `listen-on port 53 { … }`, `recursion yes`.
func head(s *namedconf.Statement) string {
	var parts []string
	for _, v := range s.Values {
		parts = append(parts, v.String())
		if len(parts) > 6 {
			parts = append(parts, "…")
			break
		}
	}
	return strings.Join(parts, " ")
}
