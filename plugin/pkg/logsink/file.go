package logsink

import (
	"fmt"
	"io"
	"os"
	"time"
)

// lineSink writes lines to stdout or stderr.
type lineSink struct {
	w io.Writer
}

// pipeBuf is the largest write that POSIX keeps whole on a pipe: writes to
// stdout/stderr are cut at line ends below it, so lines from CoreDNS's own
// log (or the other instance during a reload) never land inside ours.
const pipeBuf = 4096

func (s *lineSink) open() error { return nil }

func (s *lineSink) write(buf []byte, msgs []msgSpan) (int, error) {
	return writeLines(s.w, buf, msgs, pipeBuf)
}

func (s *lineSink) maintain(time.Time) error { return nil }
func (s *lineSink) close() error             { return nil }
func (s *lineSink) interrupt()               {}

// writeLines writes the messages of buf in chunks of whole messages of at
// most max bytes (a longer message alone), and returns how many messages
// were written completely.
func writeLines(w io.Writer, buf []byte, msgs []msgSpan, max int) (int, error) {
	start, done := 0, 0
	for done < len(msgs) {
		// Take as many whole messages as fit in max (at least one).
		n := done + 1
		for n < len(msgs) && msgs[n].end-start <= max {
			n++
		}
		end := msgs[n-1].end
		written, err := w.Write(buf[start:end])
		if err != nil {
			// Count the messages that made it before the error.
			for done < n && msgs[done].end <= start+written {
				done++
			}
			return done, err
		}
		start, done = end, n
	}
	return done, nil
}

// fileSink appends to a file, reopening it when renamed or removed (logrotate).
type fileSink struct {
	path string
	f    *os.File
	last time.Time // last rotation check
}

// fileMode is the mode of a created log file: query logs name clients, so
// they are not world-readable.
const fileMode = 0o640

func (s *fileSink) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return fmt.Errorf("opening log file: %w", err)
	}
	s.f = f
	return nil
}

func (s *fileSink) write(buf []byte, msgs []msgSpan) (int, error) {
	// A regular file opened with O_APPEND takes each write whole, so the
	// batch goes in one write(2).
	return writeLines(s.f, buf, msgs, len(buf))
}

// maintain reopens the file, at most once a second, when the path no longer
// names it (logrotate); if that fails the old file stays in use.
func (s *fileSink) maintain(now time.Time) error {
	if now.Sub(s.last) < time.Second {
		return nil
	}
	s.last = now
	cur, err := s.f.Stat()
	if err != nil {
		return err
	}
	if onDisk, err := os.Stat(s.path); err == nil && os.SameFile(cur, onDisk) {
		return nil
	}
	old := s.f
	if err := s.open(); err != nil {
		s.f = old
		return err
	}
	return old.Close()
}

func (s *fileSink) close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// interrupt does nothing: a file write cannot be cancelled.
func (s *fileSink) interrupt() {}
