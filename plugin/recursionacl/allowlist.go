package recursionacl

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
)

// compile builds the allow list from the acl, allow and allow-file lines; each
// line compiles alone first so an error names its Corefile or file line.
func (cfg *config) compile() (*addrmatch.List, error) {
	for _, a := range cfg.acls {
		if _, err := cfg.env.Compile(a.tokens); err != nil {
			return nil, a.at.Errf("parsing acl %s %v", a.name, err)
		}
	}

	var tokens []string
	var files []*allowFile
	var fileLines []allowLine
	for _, l := range cfg.allow {
		if l.path == "" {
			if _, err := cfg.env.Compile(l.tokens); err != nil {
				return nil, l.at.Errf("parsing allow %v", err)
			}
			tokens = append(tokens, l.tokens...)
			continue
		}
		f, err := readAllowFile(l.path)
		if err != nil {
			return nil, l.at.Errf("%v", err)
		}
		files, fileLines = append(files, f), append(fileLines, l)
		tokens = append(tokens, f.tokens...)
	}
	if len(cfg.allow) == 0 {
		tokens = defaultAllow
	}
	if len(tokens) == 0 {
		return nil, cfg.allow[0].at.Errf("the allow-file lines hold no element; write none to allow nobody")
	}

	list, err := cfg.env.Compile(tokens)
	if err != nil {
		// Only an allow-file can be at fault now: find its line.
		var ee *addrmatch.ElementError
		if errors.As(err, &ee) {
			for i, f := range files {
				if n := f.lineOf(ee.Element); n > 0 {
					return nil, fileLines[i].at.Errf("parsing allow-file %s line %d: %v", f.path, n, err)
				}
			}
		}
		return nil, fmt.Errorf("parsing the allow list: %w", err)
	}
	return list, nil
}

// allowFile is an allow-file's tokens and which of them each line holds.
type allowFile struct {
	path   string
	tokens []string
	lines  []fileLine
}

type fileLine struct {
	n          int // line number, from 1
	first, end int // its tokens are tokens[first:end]
}

// readAllowFile reads one or more elements per line, `#` comments and blank
// lines ignored; tokens are substrings of the content, to keep allocations few.
func readAllowFile(path string) (*allowFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading allow-file: %w", err)
	}
	rest := string(data)
	most := strings.Count(rest, "\n") + 1 // lines, and tokens if one a line
	f := &allowFile{path: path, tokens: make([]string, 0, most), lines: make([]fileLine, 0, most)}
	for n := 1; rest != ""; n++ {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line, _, _ = strings.Cut(line, "#")
		first := len(f.tokens)
		for tok := range strings.FieldsFuncSeq(line, isBlank) {
			f.tokens = append(f.tokens, tok)
		}
		if len(f.tokens) > first {
			f.lines = append(f.lines, fileLine{n: n, first: first, end: len(f.tokens)})
		}
	}
	return f, nil
}

// isBlank reports whether r separates elements: ASCII white space.
func isBlank(r rune) bool { return strings.ContainsRune(" \t\r\v\f", r) }

// lineOf returns the first line holding element (as ElementError spells it), or 0.
func (f *allowFile) lineOf(element string) int {
	element = strings.TrimPrefix(element, "!")
	for _, l := range f.lines {
		if strings.Contains(strings.Join(f.tokens[l.first:l.end], " "), element) {
			return l.n
		}
	}
	return 0
}
