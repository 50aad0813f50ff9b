// Package namedconf reads BIND 9's named.conf into a syntax tree in which
// every statement and value knows the file and line it came from.
//
// The grammar is BIND's generic one: a statement is a sequence of words,
// quoted strings and { } blocks ended by ';', and a block holds statements.
// Address match list elements are statements too ("!10.0.0.1;" is one
// statement whose only value is negated). Statements the parser does not know
// are kept as they are; statements whose shape it knows are checked, so a
// missing ';' is reported where named-checkconf reports it.
package namedconf

import (
	"fmt"
	"strings"
)

// Pos is a place in a named.conf file.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Error is a syntax or read error at a position, printed as FILE:LINE: MSG
// like named-checkconf.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	if e.Pos.Line == 0 { // the file itself could not be read
		return e.Pos.File + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// Kind says what a Value is.
type Kind int

const (
	Word   Kind = iota // an unquoted token
	String             // a quoted string, escapes resolved
	Block              // a { } list of statements
)

// Value is one part of a statement.
type Value struct {
	Kind  Kind
	Text  string       // Word and String
	Not   bool         // preceded by '!'
	Block []*Statement // Block
	Pos   Pos
}

// String renders the value as named.conf would hold it (blocks abbreviated).
func (v Value) String() string {
	s := ""
	if v.Not {
		s = "!"
	}
	switch v.Kind {
	case String:
		return s + fmt.Sprintf("%q", v.Text)
	case Block:
		return s + "{ … }"
	}
	return s + v.Text
}

// quoted writes the value for an error message: 'word', "string", '{'.
func (v Value) quoted() string {
	switch v.Kind {
	case String:
		return fmt.Sprintf("%q", v.Text)
	case Block:
		return "'{'"
	}
	return "'" + v.Text + "'"
}

// Statement is a sequence of values ended by ';'.
type Statement struct {
	Pos    Pos
	Values []Value
}

// Name is the statement's keyword: its first value, lower-cased when it is a
// word, as BIND's keywords are case-insensitive. An element such as
// "10.0.0.1;" has the name "10.0.0.1".
func (s *Statement) Name() string {
	if len(s.Values) == 0 || s.Values[0].Kind == Block {
		return ""
	}
	if s.Values[0].Kind == Word {
		return strings.ToLower(s.Values[0].Text)
	}
	return s.Values[0].Text
}

// Args are the values after the name.
func (s *Statement) Args() []Value {
	if len(s.Values) == 0 {
		return nil
	}
	return s.Values[1:]
}

// Arg is the text of the i-th argument (0 is the first after the name), or "".
func (s *Statement) Arg(i int) string {
	a := s.Args()
	if i < len(a) && a[i].Kind != Block {
		return a[i].Text
	}
	return ""
}

// Body is the statement's first block, or nil.
func (s *Statement) Body() []*Statement {
	for _, v := range s.Values {
		if v.Kind == Block {
			return v.Block
		}
	}
	return nil
}

// HasBody reports whether the statement has a block (perhaps empty).
func (s *Statement) HasBody() bool {
	for _, v := range s.Values {
		if v.Kind == Block {
			return true
		}
	}
	return false
}

// String renders the statement's head, e.g. `zone "example.org" { … }`.
func (s *Statement) String() string {
	parts := make([]string, len(s.Values))
	for i, v := range s.Values {
		parts[i] = v.String()
	}
	return strings.Join(parts, " ")
}

// Find returns the first statement named name in a block, or nil.
func Find(block []*Statement, name string) *Statement {
	for _, s := range block {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// FindAny returns the first statement with one of the names (old and new
// keywords: "primaries", "masters").
func FindAny(block []*Statement, names ...string) *Statement {
	for _, s := range block {
		for _, n := range names {
			if s.Name() == n {
				return s
			}
		}
	}
	return nil
}

// Include records an include statement and the file it read.
type Include struct {
	Pos  Pos
	Path string // as written
	File string // as read
}

// Config is a parsed named.conf with its includes spliced in place.
type Config struct {
	File       string // the top-level file
	Statements []*Statement
	Includes   []Include
	// Directory is options { directory } as written (empty when unset), and
	// DirectoryResolved where it was found on this machine.
	Directory         string
	DirectoryResolved string
}

// Options returns the body of the options statement (nil when absent).
func (c *Config) Options() []*Statement {
	if s := Find(c.Statements, "options"); s != nil {
		return s.Body()
	}
	return nil
}
