package verify

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Format is the kind of query file, found from its content.
type Format int

// The query file formats.
const (
	FormatList    Format = iota // NAME TYPE [CLASS] lines
	FormatBINDLog               // BIND 9 query log
	FormatJSON                  // corebind querylog JSON lines
)

func (f Format) String() string {
	switch f {
	case FormatBINDLog:
		return "BIND query log"
	case FormatJSON:
		return "corebind JSON query log"
	}
	return "name/type list"
}

// LineError is a bad line of a query file.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// FileQueries is what one query file held.
type FileQueries struct {
	Format  Format
	Queries []Query
	Skipped int // lines that are not queries (other log lines, non-query records)
}

// ReadQueryFile reads queries from path ("-" is standard input, named
// "stdin" in messages).
func ReadQueryFile(path string) (*FileQueries, error) {
	if path == "-" {
		return ReadQueries(os.Stdin, "stdin")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadQueries(f, path)
}

// ReadQueries reads the queries of a BIND query log, a corebind JSON query
// log or a NAME TYPE [CLASS] list; name is the file name for errors. The
// format is the file's: a BIND log if any line is a BIND query line (every
// other line is skipped: BIND's channels mix categories), JSON if the first
// line that is not blank or a comment (#, ;) starts with "{", a list
// otherwise. Every bad line is an error naming FILE:LINE; all of them are
// reported, joined.
func ReadQueries(r io.Reader, name string) (*FileQueries, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", name, len(lines)+1, err)
	}
	fq := &FileQueries{Format: detect(lines)}
	var errs []string
	for i, line := range lines {
		origin := fmt.Sprintf("%s:%d", name, i+1)
		t := strings.TrimSpace(line)
		if t == "" || (fq.Format != FormatBINDLog && (t[0] == '#' || t[0] == ';')) {
			continue
		}
		var (
			q    Query
			err  error
			skip bool
		)
		switch fq.Format {
		case FormatBINDLog:
			if !strings.Contains(line, bindQueryMark) {
				skip = true
				break
			}
			q, _, err = parseBINDLine(line)
		case FormatJSON:
			q, _, skip, err = parseJSONLine(t)
		default:
			q, err = parseListLine(t)
		}
		switch {
		case err != nil:
			errs = append(errs, (&LineError{File: name, Line: i + 1, Err: err}).Error())
		case skip:
			fq.Skipped++
		default:
			q.Origin = origin
			fq.Queries = append(fq.Queries, q)
		}
	}
	if len(errs) > 0 {
		if len(errs) > 20 {
			errs = append(errs[:20], fmt.Sprintf("%s: %d more bad lines", name, len(errs)-20))
		}
		return fq, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return fq, nil
}

func detect(lines []string) Format {
	for _, l := range lines {
		if strings.Contains(l, bindQueryMark) && strings.Contains(l, "client ") {
			return FormatBINDLog
		}
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if t[0] == '{' {
			return FormatJSON
		}
		break
	}
	return FormatList
}
