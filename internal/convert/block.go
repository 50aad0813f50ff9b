package convert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
)

// chainOrder is plugin.cfg's order for the directives the converter writes;
// a block lists them in this order so that it reads as the chain runs.
var chainOrder = []string{
	"view", "bind", "querylog", "chaosmask", "rrl", "prometheus", "chaos", "log", "tsig", "acl", "recursionacl",
	"cache", "minimal", "transfer", "delegations", "rfc2317", "file", "secondary", "stubzones", "forward",
}

// directive is one directive in a server block with the named.conf lines it
// came from.
type directive struct {
	name string
	text string // the directive, possibly several lines, unindented
	from []namedconf.Pos
	note string // a short comment of its own
	// order sorts directives of the same name: acl rules run in the order
	// written, so blackhole (0) comes before per-zone rules (1) and the
	// server-wide allow-query (2).
	order int
}

// serverBlock is one Corefile server block.
type serverBlock struct {
	keys  []string
	title string // what it stands for: "options", `view "internal"`
	from  []namedconf.Pos
	dirs  []directive
}

func (b *serverBlock) add(name, text string, from ...namedconf.Pos) {
	b.dirs = append(b.dirs, directive{name: name, text: text, from: from})
}

func (b *serverBlock) addNote(name, text, note string, from ...namedconf.Pos) {
	b.dirs = append(b.dirs, directive{name: name, text: text, from: from, note: note})
}

func (b *serverBlock) addOrdered(name, text string, order int, from ...namedconf.Pos) {
	b.dirs = append(b.dirs, directive{name: name, text: text, from: from, order: order})
}

func (b *serverBlock) has(name string) bool {
	for _, d := range b.dirs {
		if d.name == name {
			return true
		}
	}
	return false
}

// write renders the block. Files are named relative to base in comments.
func (b *serverBlock) write(sb *strings.Builder, rel func(namedconf.Pos) string) {
	fmt.Fprintf(sb, "# %s", b.title)
	if len(b.from) > 0 {
		fmt.Fprintf(sb, " (%s)", posList(b.from, rel))
	}
	sb.WriteString("\n")
	fmt.Fprintf(sb, "%s {\n", strings.Join(b.keys, " "))
	rank := map[string]int{}
	for i, n := range chainOrder {
		rank[n] = i
	}
	dirs := append([]directive(nil), b.dirs...)
	sort.SliceStable(dirs, func(i, j int) bool {
		if rank[dirs[i].name] != rank[dirs[j].name] {
			return rank[dirs[i].name] < rank[dirs[j].name]
		}
		return dirs[i].order < dirs[j].order
	})
	for _, d := range dirs {
		var c []string
		if len(d.from) > 0 {
			c = append(c, posList(d.from, rel))
		}
		if d.note != "" {
			c = append(c, d.note)
		}
		if len(c) > 0 {
			fmt.Fprintf(sb, "    # %s\n", strings.Join(c, ": "))
		}
		for _, l := range strings.Split(strings.TrimRight(d.text, "\n"), "\n") {
			fmt.Fprintf(sb, "    %s\n", l)
		}
	}
	sb.WriteString("}\n")
}

// posList writes positions compactly: named.conf:3,7 zones.conf:12.
func posList(ps []namedconf.Pos, rel func(namedconf.Pos) string) string {
	var files []string
	lines := map[string][]int{}
	for _, p := range ps {
		f := rel(p)
		if _, ok := lines[f]; !ok {
			files = append(files, f)
		}
		dup := false
		for _, l := range lines[f] {
			dup = dup || l == p.Line
		}
		if !dup {
			lines[f] = append(lines[f], p.Line)
		}
	}
	var parts []string
	for _, f := range files {
		ls := lines[f]
		sort.Ints(ls)
		s := make([]string, len(ls))
		for i, l := range ls {
			s[i] = fmt.Sprint(l)
		}
		parts = append(parts, f+":"+strings.Join(s, ","))
	}
	return strings.Join(parts, " ")
}

// sub renders a directive with a body: name args { lines }.
func sub(head string, lines []string) string {
	if len(lines) == 0 {
		return head
	}
	return head + " {\n    " + strings.Join(lines, "\n    ") + "\n}"
}

// quote writes a Corefile token, quoting it when it holds spaces or is empty.
func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"#{}") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
