package namedconf

import (
	"fmt"
	"strings"
)

// tokKind is what a token is.
type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokString
	tokOpen  // {
	tokClose // }
	tokSemi  // ;
	tokNot   // !
)

// punct is the kind of a one-character token, tokEOF for other bytes.
func punct(c byte) tokKind {
	switch c {
	case '{':
		return tokOpen
	case '}':
		return tokClose
	case ';':
		return tokSemi
	case '!':
		return tokNot
	}
	return tokEOF
}

type token struct {
	kind tokKind
	text string
	pos  Pos
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokString:
		return fmt.Sprintf("%q", t.text)
	default:
		return "'" + t.text + "'"
	}
}

// lex splits named.conf text into tokens the way BIND's isc_lex does for the
// config parser: three comment styles, quoted strings where a backslash
// escapes the next character, and the special characters { } ; ! on their own.
func lex(file string, src []byte) ([]token, error) {
	var toks []token
	line := 1
	i := 0
	n := len(src)
	for i < n {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#':
			for i < n && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && src[i+1] == '/':
			for i < n && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && src[i+1] == '*':
			start := line
			i += 2
			closed := false
			for i < n {
				if src[i] == '*' && i+1 < n && src[i+1] == '/' {
					i += 2
					closed = true
					break
				}
				if src[i] == '\n' {
					line++
				}
				i++
			}
			if !closed {
				return nil, &Error{Pos{file, start}, "unterminated /* comment: add the closing */"}
			}
		case c == '"':
			start := line
			var b strings.Builder
			i++
			closed := false
			for i < n {
				ch := src[i]
				if ch == '\\' && i+1 < n {
					if src[i+1] == '\n' {
						line++
					}
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				if ch == '"' {
					i++
					closed = true
					break
				}
				if ch == '\n' {
					line++
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, &Error{Pos{file, start}, "unterminated quoted string: add the closing \""}
			}
			toks = append(toks, token{tokString, b.String(), Pos{file, start}})
		case punct(c) != tokEOF:
			toks = append(toks, token{punct(c), string(c), Pos{file, line}})
			i++
		default:
			start := i
			for i < n && !isSpecial(src[i]) {
				// A comment start ends a word: "10.0.0.1//x" is 10.0.0.1.
				if src[i] == '/' && i+1 < n && (src[i+1] == '/' || src[i+1] == '*') {
					break
				}
				i++
			}
			if i == start { // a lone '/' followed by a comment start cannot happen; be safe
				i++
			}
			toks = append(toks, token{tokWord, string(src[start:i]), Pos{file, line}})
		}
	}
	toks = append(toks, token{tokEOF, "", Pos{file, line}})
	return toks, nil
}

func isSpecial(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\f', '\v', '{', '}', ';', '"', '#', '!':
		return true
	}
	return false
}
