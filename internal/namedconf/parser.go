package namedconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxIncludeDepth bounds nested includes beyond cycle detection (a chain of
// distinct files), as a guard against generated configurations.
const maxIncludeDepth = 64

// ParseFile reads a named.conf and everything it includes.
func ParseFile(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Error{Pos{path, 0}, "cannot read: " + msg}
	}
	return Parse(path, src)
}

// Parse parses src as the named.conf at path (the path names the file in
// errors and anchors relative includes).
func Parse(path string, src []byte) (*Config, error) {
	c := &Config{File: path}
	p := &parser{cfg: c, stack: []string{abs(path)}}
	stmts, err := p.file(path, src, 0)
	if err != nil {
		return nil, err
	}
	c.Statements = stmts
	return c, nil
}

// ParseString parses named.conf text that has no includes on disk to resolve
// relative to (tests, fuzzing); includes are still attempted.
func ParseString(name, text string) (*Config, error) { return Parse(name, []byte(text)) }

type parser struct {
	cfg   *Config
	stack []string // absolute paths of the files being read, for cycles
}

type tokens struct {
	t []token
	i int
}

func (ts *tokens) peek() token { return ts.t[ts.i] }
func (ts *tokens) next() token {
	t := ts.t[ts.i]
	if t.kind != tokEOF {
		ts.i++
	}
	return t
}

func (p *parser) file(path string, src []byte, depth int) ([]*Statement, error) {
	toks, err := lex(path, src)
	if err != nil {
		return nil, err
	}
	ts := &tokens{t: toks}
	stmts, err := p.block(ts, nil, 0, depth)
	if err != nil {
		return nil, err
	}
	if t := ts.peek(); t.kind != tokEOF {
		return nil, &Error{t.pos, "unexpected '}': there is no '{' for it to close"}
	}
	return stmts, nil
}

// block parses statements until '}' (left unread) or the end of input.
// open is the '{' that opened the block (nil at file level); level is the
// nesting depth (0 at file level).
func (p *parser) block(ts *tokens, open *token, level, depth int) ([]*Statement, error) {
	var out []*Statement
	for {
		t := ts.peek()
		switch t.kind {
		case tokEOF:
			if open != nil {
				return nil, &Error{t.pos, fmt.Sprintf("unexpected end of input: missing '}' for the '{' at line %d", open.pos.Line)}
			}
			return out, nil
		case tokClose:
			if open == nil {
				return nil, &Error{t.pos, "unexpected '}': there is no '{' for it to close"}
			}
			return out, nil
		case tokSemi: // an empty statement; BIND accepts a stray ';'
			ts.next()
			continue
		}
		s, err := p.statement(ts, level, depth)
		if err != nil {
			return nil, err
		}
		if s.Name() == "include" && len(s.Values) >= 2 && s.Values[1].Kind != Block {
			inc, err := p.include(s, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, inc...)
			continue
		}
		if level == 0 && s.Name() == "options" {
			if d := Find(s.Body(), "directory"); d != nil && d.Arg(0) != "" {
				p.cfg.Directory = d.Arg(0)
				p.cfg.DirectoryResolved = p.cfg.resolveDir(d.Arg(0), d.Pos.File)
			}
		}
		out = append(out, s)
	}
}

// statement parses one statement up to and including its ';'.
func (p *parser) statement(ts *tokens, level, depth int) (*Statement, error) {
	s := &Statement{Pos: ts.peek().pos}
	for {
		t := ts.next()
		not := false
		if t.kind == tokNot {
			not = true
			t = ts.next()
			if t.kind != tokWord && t.kind != tokString && t.kind != tokOpen {
				return nil, &Error{t.pos, fmt.Sprintf("expected an address, acl name or list after '!', got %s", t)}
			}
		}
		switch t.kind {
		case tokSemi:
			if err := check(s, level); err != nil {
				return nil, err
			}
			return s, nil
		case tokWord:
			s.Values = append(s.Values, Value{Kind: Word, Text: t.text, Not: not, Pos: t.pos})
		case tokString:
			s.Values = append(s.Values, Value{Kind: String, Text: t.text, Not: not, Pos: t.pos})
		case tokOpen:
			if level > 32 {
				return nil, &Error{t.pos, "blocks nested too deeply"}
			}
			body, err := p.block(ts, &t, level+1, depth)
			if err != nil {
				return nil, err
			}
			ts.next() // the '}'
			s.Values = append(s.Values, Value{Kind: Block, Block: body, Not: not, Pos: t.pos})
		case tokClose:
			return nil, &Error{t.pos, "missing ';' before '}'"}
		case tokEOF:
			return nil, &Error{t.pos, "unexpected end of input: missing ';' after " + describe(s)}
		}
	}
}

func describe(s *Statement) string {
	if n := s.Name(); n != "" {
		return "'" + n + "'"
	}
	return "the statement"
}

func (p *parser) include(s *Statement, depth int) ([]*Statement, error) {
	if len(s.Values) != 2 {
		return nil, &Error{s.Values[2].Pos, "missing ';' before " + s.Values[2].quoted()}
	}
	name := s.Values[1].Text
	if depth >= maxIncludeDepth {
		return nil, &Error{s.Pos, fmt.Sprintf("include %q: includes nested more than %d deep", name, maxIncludeDepth)}
	}
	path, ok := p.cfg.Resolve(name, s.Pos.File)
	if !ok {
		return nil, &Error{s.Pos, fmt.Sprintf("include %q: file not found (looked beside %s%s)", name, s.Pos.File, p.dirNote())}
	}
	a := abs(path)
	for i, f := range p.stack {
		if f == a {
			chain := append(append([]string{}, p.stack[i:]...), a)
			return nil, &Error{s.Pos, "include cycle: " + strings.Join(chain, " -> ")}
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Error{s.Pos, fmt.Sprintf("include %q: %s", name, msg)}
	}
	p.cfg.Includes = append(p.cfg.Includes, Include{Pos: s.Pos, Path: name, File: path})
	p.stack = append(p.stack, a)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	return p.file(path, src, depth+1)
}

func (p *parser) dirNote() string {
	if p.cfg.Directory != "" {
		return " and in directory " + p.cfg.Directory
	}
	return ""
}

// Resolve finds a file named in named.conf (an include or a zone file): an
// absolute path as written; a relative one beside the file that names it,
// then in options { directory }. A configuration copied away from /etc/bind
// still converts: an absolute path that does not exist here is looked for
// by its base name beside the naming file and beside the top-level file.
func (c *Config) Resolve(name, from string) (string, bool) {
	var tries []string
	if filepath.IsAbs(name) {
		tries = append(tries, name)
	} else {
		tries = append(tries, filepath.Join(filepath.Dir(from), name))
		if c.DirectoryResolved != "" {
			tries = append(tries, filepath.Join(c.DirectoryResolved, name))
		}
		tries = append(tries, filepath.Join(filepath.Dir(c.File), name))
	}
	if filepath.IsAbs(name) || strings.Contains(name, "/") {
		base := filepath.Base(name)
		tries = append(tries, filepath.Join(filepath.Dir(from), base), filepath.Join(filepath.Dir(c.File), base))
		if c.DirectoryResolved != "" {
			tries = append(tries, filepath.Join(c.DirectoryResolved, base))
		}
	}
	for _, t := range tries {
		if st, err := os.Stat(t); err == nil && !st.IsDir() {
			return t, true
		}
	}
	return tries[0], false
}

func (c *Config) resolveDir(dir, from string) string {
	tries := []string{dir}
	if !filepath.IsAbs(dir) {
		tries = []string{filepath.Join(filepath.Dir(from), dir)}
	}
	tries = append(tries, filepath.Dir(c.File))
	for _, t := range tries {
		if st, err := os.Stat(t); err == nil && st.IsDir() {
			return t
		}
	}
	return ""
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if r, err := filepath.EvalSymlinks(a); err == nil {
		return r
	}
	return a
}
