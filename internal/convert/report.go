package convert

import (
	"fmt"
	"io"
	"strings"

	"github.com/corebind/corebind/internal/namedconf"
)

// Status is how a statement made it into the Corefile.
type Status string

const (
	Carried    Status = "carried"
	Approx     Status = "approximated"
	NotCarried Status = "not carried"
)

// Entry is one line of the report.
type Entry struct {
	Pos    namedconf.Pos
	What   string // the statement, e.g. `allow-recursion { … }`
	Status Status
	Note   string // the difference (approximated) or reason and alternative (not carried)
}

func (e Entry) String() string {
	s := fmt.Sprintf("%s: %s: %s", e.Pos, e.What, e.Status)
	if e.Note != "" {
		s += ": " + e.Note
	}
	return s
}

// Count returns how many entries have each status.
func (r *Result) Count() map[Status]int {
	m := map[Status]int{}
	for _, e := range r.Entries {
		m[e.Status]++
	}
	return m
}

// Lossy reports whether anything was not carried (the -strict test).
func (r *Result) Lossy() bool { return r.Count()[NotCarried] > 0 }

// WriteText writes the report as plain lines (stderr without -report).
func (r *Result) WriteText(w io.Writer) error {
	for _, e := range r.Entries {
		if _, err := fmt.Fprintln(w, e); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, r.summary())
	return err
}

// Summary is the one-line count of the report.
func (r *Result) Summary() string { return r.summary() }

func (r *Result) summary() string {
	c := r.Count()
	return fmt.Sprintf("named2corefile: %d statements: %d carried, %d approximated, %d not carried",
		len(r.Entries), c[Carried], c[Approx], c[NotCarried])
}

// WriteMarkdown writes the report as a Markdown document (-report FILE).
func (r *Result) WriteMarkdown(w io.Writer, source string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# named2corefile report for %s\n\n%s.\n\n", source, strings.TrimPrefix(r.summary(), "named2corefile: "))
	for _, st := range []Status{NotCarried, Approx, Carried} {
		var rows []Entry
		for _, e := range r.Entries {
			if e.Status == st {
				rows = append(rows, e)
			}
		}
		if len(rows) == 0 {
			continue
		}
		title := map[Status]string{NotCarried: "Not carried", Approx: "Approximated", Carried: "Carried"}[st]
		col := map[Status]string{NotCarried: "reason and alternative", Approx: "difference", Carried: "note"}[st]
		fmt.Fprintf(&b, "## %s\n\n| where | statement | %s |\n|---|---|---|\n", title, col)
		for _, e := range rows {
			fmt.Fprintf(&b, "| %s | `%s` | %s |\n", e.Pos, strings.ReplaceAll(mdCell(e.What), "`", "'"), mdCell(e.Note))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
