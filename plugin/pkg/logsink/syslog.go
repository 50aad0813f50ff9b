package logsink

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Reconnection backoff for syslog connections: doubled after each failure,
// reset by a successful write.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second
	// ioTimeout bounds a dial or batch write: a stuck collector stalls only the writer.
	ioTimeout = 5 * time.Second
)

// errWaiting is returned while a connection is down and its next attempt is
// not due yet: the messages are lost, but no new write error happened.
var errWaiting = errors.New("waiting to reconnect")

// netSink sends syslog messages over a unix socket, UDP or TCP.
type netSink struct {
	network string // "unix", "udp" or "tcp"
	addr    string // socket path or host:port

	mu      sync.Mutex // guards conn against interrupt
	conn    net.Conn
	stream  bool // a unix stream socket: messages end with a NUL byte
	next    time.Time
	backoff time.Duration
	nul     []byte // scratch for NUL-terminated messages
}

func (s *netSink) open() error { return nil } // connect lazily: an absent collector must not fail startup

func (s *netSink) dial() (net.Conn, bool, error) {
	d := net.Dialer{Timeout: ioTimeout}
	if s.network != "unix" {
		c, err := d.Dial(s.network, s.addr)
		return c, false, err
	}
	// Like syslog(3): a datagram socket first, then a stream socket.
	c, err := d.Dial("unixgram", s.addr)
	if err == nil {
		return c, false, nil
	}
	if c, err2 := d.Dial("unix", s.addr); err2 == nil {
		return c, true, nil
	}
	return nil, false, err
}

func (s *netSink) write(buf []byte, msgs []msgSpan) (int, error) {
	now := time.Now()
	if s.conn == nil {
		if now.Before(s.next) {
			return 0, errWaiting
		}
		c, stream, err := s.dial()
		if err != nil {
			s.retryLater(now)
			return 0, err
		}
		s.mu.Lock()
		s.conn, s.stream = c, stream
		s.mu.Unlock()
	}
	s.conn.SetWriteDeadline(now.Add(ioTimeout))
	n, err := s.send(buf, msgs)
	if err != nil {
		// A UDP socket stays usable after an ICMP "port unreachable";
		// anything else (a broken stream, a vanished /dev/log) reconnects.
		if !(s.network == "udp" && errors.Is(err, syscall.ECONNREFUSED)) {
			s.drop()
			s.retryLater(now)
		}
		return n, err
	}
	s.backoff = 0
	return n, nil
}

// send writes the messages as the connection frames them.
func (s *netSink) send(buf []byte, msgs []msgSpan) (int, error) {
	switch {
	case s.network == "tcp":
		// Octet-counted frames make one byte stream: write it at once.
		return writeLines(s.conn, buf, msgs, len(buf))
	case s.stream:
		return s.writeNUL(buf, msgs)
	}
	return writeLines(s.conn, buf, msgs, 0) // a datagram per message
}

// writeNUL writes each message NUL-terminated to a unix stream socket, as syslog(3) does.
func (s *netSink) writeNUL(buf []byte, msgs []msgSpan) (int, error) {
	s.nul = s.nul[:0]
	start := 0
	for _, m := range msgs {
		s.nul = append(s.nul, buf[start:m.end]...)
		s.nul = append(s.nul, 0)
		start = m.end
	}
	written, err := s.conn.Write(s.nul)
	if err == nil {
		return len(msgs), nil
	}
	n := 0
	for n < len(msgs) && msgs[n].end+n+1 <= written {
		n++
	}
	return n, err
}

func (s *netSink) retryLater(now time.Time) {
	switch {
	case s.backoff == 0:
		s.backoff = minBackoff
	case s.backoff < maxBackoff:
		s.backoff = min(2*s.backoff, maxBackoff)
	}
	s.next = now.Add(s.backoff)
}

func (s *netSink) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

func (s *netSink) maintain(time.Time) error { return nil }

func (s *netSink) close() error {
	s.drop()
	return nil
}

// interrupt closes the connection so that a write blocked on a collector
// that stopped reading returns at once (used by a Stop that ran out of
// time).
func (s *netSink) interrupt() { s.drop() }
