package logsink

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corebind/corebind/internal/testkit"
)

// rec is the record type of these tests.
type rec struct {
	n   int
	msg string
}

// counters collect what the hooks report.
type counters struct {
	dropped, failed, writeErrors, notices atomic.Int64
	noticed                               atomic.Uint64
}

func newQueue(t *testing.T, o Output, size int, c *counters) *Queue[rec] {
	t.Helper()
	q, err := New(Options[rec]{
		Output: o,
		Size:   size,
		Prefix: true,
		Format: func(e *Emitter, r *rec) {
			b := e.Buf()
			b = append(b, "record "...)
			b = strconv.AppendInt(b, int64(r.n), 10)
			b = append(b, r.msg...)
			e.Emit(time.Now(), SevInfo, "queries", b)
		},
		Dropped:    func(*rec) { c.dropped.Add(1) },
		Failed:     func(*rec) { c.failed.Add(1) },
		WriteError: func(error) { c.writeErrors.Add(1) },
		Notice:     func(n uint64) { c.notices.Add(1); c.noticed.Add(n) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop() })
	return q
}

// eventually polls cond for up to 20 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var lineRE = regexp.MustCompile(`^\d\d-[A-Z][a-z][a-z]-\d{4} \d\d:\d\d:\d\d\.\d{3} queries: info: record (\d+)$`)

// recordNumbers parses the lines of a file output.
func recordNumbers(t *testing.T, data string) []int {
	t.Helper()
	var ns []int
	for _, l := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		if l == "" {
			continue
		}
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("unexpected line %q", l)
		}
		n, _ := strconv.Atoi(m[1])
		ns = append(ns, n)
	}
	return ns
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// TestFileNothingLost: a clean stop writes every record, in order.
func TestFileNothingLost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "query.log")
	var c counters
	q := newQueue(t, Output{Kind: File, Path: path}, 100000, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				if !q.Enqueue(rec{n: g*5000 + i}) {
					t.Errorf("record %d dropped", g*5000+i)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := q.Stop(); err != nil {
		t.Fatal(err)
	}
	ns := recordNumbers(t, readFile(t, path))
	if len(ns) != 20000 {
		t.Fatalf("%d lines, want 20000", len(ns))
	}
	seen := map[int]bool{}
	last := map[int]int{0: -1, 1: -1, 2: -1, 3: -1}
	for _, n := range ns {
		seen[n] = true
		if g := n / 5000; n <= last[g] {
			t.Fatalf("record %d after %d: out of order", n, last[g])
		} else {
			last[g] = n
		}
	}
	if len(seen) != 20000 {
		t.Errorf("%d distinct records, want 20000", len(seen))
	}
	if c.dropped.Load()+c.failed.Load()+c.writeErrors.Load() != 0 {
		t.Errorf("dropped %d failed %d write errors %d", c.dropped.Load(), c.failed.Load(), c.writeErrors.Load())
	}
	// Stop twice is fine; the file is closed and stays as it is.
	if err := q.Stop(); err != nil {
		t.Error(err)
	}
}

// TestFileFlushedWithoutStop: records reach the file within a second
// without any stop.
func TestFileFlushedWithoutStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "query.log")
	var c counters
	q := newQueue(t, Output{Kind: File, Path: path}, 10, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	q.Enqueue(rec{n: 1})
	eventually(t, "record 1 in the file", func() bool { return strings.Contains(readFile(t, path), "record 1\n") })
}

// TestFileRotation: renamed (logrotate) and removed files are reopened; no
// record is lost across the rotation.
func TestFileRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "query.log")
	var c counters
	q := newQueue(t, Output{Kind: File, Path: path}, 1000, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	n := 0
	// Records go on being written while the file is renamed, until one shows
	// up in the new file.
	write := func(until func() bool) {
		deadline := time.Now().Add(20 * time.Second)
		for !until() {
			if time.Now().After(deadline) {
				t.Fatal("timed out waiting for the file to be reopened")
			}
			q.Enqueue(rec{n: n})
			n++
			time.Sleep(5 * time.Millisecond)
		}
	}
	write(func() bool { return n > 10 })
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write(func() bool { return readFile(t, path) != "" })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	removedAt := n
	write(func() bool { return readFile(t, path) != "" })
	if err := q.Stop(); err != nil {
		t.Fatal(err)
	}
	rotated := recordNumbers(t, readFile(t, path+".1"))
	current := recordNumbers(t, readFile(t, path))
	if len(rotated) == 0 || rotated[0] != 0 {
		t.Fatalf("rotated file starts with %v", rotated[:min(1, len(rotated))])
	}
	// Rotated file, then the new file: a gap-free sequence, except for what
	// went to the removed file (written to an unlinked inode, as with BIND).
	last := rotated[len(rotated)-1]
	if current[0] <= last || current[0] > removedAt+200 {
		t.Errorf("new file starts at %d, rotated ends at %d, removal at %d", current[0], last, removedAt)
	}
	for i := 1; i < len(current); i++ {
		if current[i] != current[i-1]+1 {
			t.Fatalf("gap in the new file: %d after %d", current[i], current[i-1])
		}
	}
	if current[len(current)-1] != n-1 {
		t.Errorf("last record %d, want %d", current[len(current)-1], n-1)
	}
	if c.writeErrors.Load() != 0 {
		t.Errorf("%d write errors", c.writeErrors.Load())
	}
}

func TestFileOpenError(t *testing.T) {
	var c counters
	q := newQueue(t, Output{Kind: File, Path: filepath.Join(t.TempDir(), "missing", "query.log")}, 10, &c)
	err := q.Start()
	if err == nil || !strings.Contains(err.Error(), "opening log file") || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("Start = %v, want an open error", err)
	}
}

// TestDropsCounted: a queue whose output does not keep up drops, counts,
// and reports the drop once, not once per record; Enqueue never blocks.
func TestDropsCounted(t *testing.T) {
	// A unix stream socket that is never read: the writer blocks once the
	// socket buffer is full.
	dir := t.TempDir()
	sock := filepath.Join(dir, "log.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	var c counters
	q := newQueue(t, Output{Kind: Syslog, Network: "unix", Path: sock}, 100, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 1000)
	const total = 200000
	start := time.Now()
	accepted2 := 0
	for i := range total {
		if q.Enqueue(rec{n: i, msg: big}) {
			accepted2++
		}
	}
	elapsed := time.Since(start)
	if c.dropped.Load() == 0 || int(c.dropped.Load())+accepted2 != total {
		t.Errorf("accepted %d + dropped %d != %d", accepted2, c.dropped.Load(), total)
	}
	t.Logf("%d records enqueued in %s (%d dropped)", total, elapsed, c.dropped.Load())
	if q.Dropped() < uint64(c.dropped.Load()) {
		t.Errorf("Dropped() = %d < %d", q.Dropped(), c.dropped.Load())
	}
	// One notice so far (the first comes at once, the next not before 10s).
	eventually(t, "a drop notice", func() bool { return c.notices.Load() >= 1 })
	if n := c.notices.Load(); n != 1 {
		t.Errorf("%d notices, want 1", n)
	}
	// Stop returns even though the output is stuck.
	stopped := make(chan error, 1)
	go func() { stopped <- q.Stop() }()
	select {
	case err := <-stopped:
		if err == nil {
			t.Log("stop drained the queue")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Stop did not return")
	}
	select {
	case conn := <-accepted:
		conn.Close()
	default:
	}
}

// TestMissingSocket: a syslog socket that does not exist does not fail
// Start; writes fail, are counted, and are retried with backoff.
func TestMissingSocket(t *testing.T) {
	var c counters
	sock := filepath.Join(t.TempDir(), "log.sock")
	q := newQueue(t, Output{Kind: Syslog, Network: "unix", Path: sock}, 100, &c)
	if err := q.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	for i := range 10 {
		q.Enqueue(rec{n: i})
	}
	eventually(t, "a write error", func() bool { return c.writeErrors.Load() > 0 })
	eventually(t, "10 failed records", func() bool { return c.failed.Load() == 10 })

	// The socket appears: records get through on a later attempt.
	pc, err := net.ListenPacket("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := make(chan string, 100)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	deadline := time.After(20 * time.Second)
	for i := 100; ; i++ {
		q.Enqueue(rec{n: i})
		select {
		case m := <-got:
			if !strings.Contains(m, "record ") {
				t.Fatalf("unexpected message %q", m)
			}
			return
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("no message after the socket appeared")
		}
	}
}

// bsdRE is the traditional syslog(3) form: <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG
var bsdRE = regexp.MustCompile(`^<(\d+)>([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) ([^\[]+)\[(\d+)\]: (.*)$`)

// TestUnixDatagram: the local socket gets the traditional syslog form.
func TestUnixDatagram(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log.sock")
	pc, err := net.ListenPacket("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var c counters
	o := Output{Kind: Syslog, Network: "unix", Path: sock, Tag: "named"}
	o.Facility, _ = ParseFacility("local1")
	q := newQueue(t, o, 100, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	q.Enqueue(rec{n: 7})
	q.Enqueue(rec{n: 8, msg: " with spaces"})
	buf := make([]byte, 65536)
	pc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for i, want := range []string{"record 7", "record 8 with spaces"} {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		m := bsdRE.FindStringSubmatch(string(buf[:n]))
		if m == nil {
			t.Fatalf("message %d %q is not in syslog(3) form", i, buf[:n])
		}
		if m[1] != "142" { // local1 (17) * 8 + info (6)
			t.Errorf("PRI %s, want 142", m[1])
		}
		if _, err := time.Parse(time.Stamp, m[2]); err != nil {
			t.Errorf("timestamp %q: %v", m[2], err)
		}
		if m[3] != "named" || m[4] != strconv.Itoa(os.Getpid()) || m[5] != want {
			t.Errorf("got tag %q pid %q msg %q", m[3], m[4], m[5])
		}
	}
}

// TestUnixStream: a stream /dev/log gets NUL-terminated messages.
func TestUnixStream(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var c counters
	q := newQueue(t, Output{Kind: Syslog, Network: "unix", Path: sock}, 100, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		q.Enqueue(rec{n: i})
	}
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	for i := range 3 {
		m, err := r.ReadString(0)
		if err != nil {
			t.Fatal(err)
		}
		sm := bsdRE.FindStringSubmatch(strings.TrimSuffix(m, "\x00"))
		if sm == nil || sm[1] != "30" || sm[3] != "coredns" || sm[5] != fmt.Sprintf("record %d", i) {
			t.Errorf("message %q", m)
		}
	}
}

// rfc5424RE: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG
var rfc5424RE = regexp.MustCompile(`(?s)^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) - (.*)$`)

func check5424(t *testing.T, m, wantMsg string) {
	t.Helper()
	sm := rfc5424RE.FindStringSubmatch(m)
	if sm == nil {
		t.Fatalf("not RFC 5424: %q", m)
	}
	if sm[1] != "30" {
		t.Errorf("PRI %s, want 30 (daemon.info)", sm[1])
	}
	ts, err := time.Parse(time.RFC3339Nano, sm[2])
	if err != nil || time.Since(ts) > time.Minute || len(sm[2]) < len("2006-01-02T15:04:05.000000Z") {
		t.Errorf("timestamp %q: %v", sm[2], err)
	}
	if sm[3] != hostname() || sm[4] != "coredns" || sm[5] != strconv.Itoa(os.Getpid()) || sm[6] != "queries" {
		t.Errorf("header fields %q", sm[3:7])
	}
	if sm[7] != wantMsg {
		t.Errorf("MSG %q, want %q", sm[7], wantMsg)
	}
}

// TestUDP: one RFC 5424 message per datagram to a real UDP receiver.
func TestUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var c counters
	q := newQueue(t, Output{Kind: Syslog, Network: "udp", Addr: pc.LocalAddr().String()}, 100, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		q.Enqueue(rec{n: i})
	}
	buf := make([]byte, 65536)
	pc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for i := range 5 {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		check5424(t, string(buf[:n]), fmt.Sprintf("record %d", i))
	}
}

// TestTCPReconnect: octet-counted frames over TCP; when the collector goes
// away the writer counts errors and reconnects once it is back.
func TestTCPReconnect(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	var c counters
	q := newQueue(t, Output{Kind: Syslog, Network: "tcp", Addr: addr}, 1000, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		q.Enqueue(rec{n: i, msg: " a\nb"}) // a newline in MSG is fine with octet counting
	}
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	for i := range 3 {
		m, err := testkit.ReadOctetCounted(r)
		if err != nil {
			t.Fatal(err)
		}
		check5424(t, m, fmt.Sprintf("record %d a\nb", i))
	}
	// The collector goes away.
	conn.Close()
	l.Close()
	eventually(t, "write errors", func() bool {
		q.Enqueue(rec{n: 99})
		time.Sleep(20 * time.Millisecond)
		return c.writeErrors.Load() > 0 && c.failed.Load() > 0
	})
	// And comes back on the same port.
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for i := 1000; ; i++ {
			if !q.Enqueue(rec{n: i}) {
				return
			}
			time.Sleep(20 * time.Millisecond)
			if i > 3000 {
				return
			}
		}
	}()
	l.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
	conn, err = l.Accept()
	if err != nil {
		t.Fatalf("no reconnection: %v", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	m, err := testkit.ReadOctetCounted(bufio.NewReader(conn))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m, " - record ") {
		t.Errorf("after reconnection: %q", m)
	}
}

// TestWriteLines: stdout and stderr writes are cut at message ends below
// PIPE_BUF.
func TestWriteLines(t *testing.T) {
	var buf []byte
	var msgs []msgSpan
	for i := range 100 {
		buf = append(buf, strings.Repeat(strconv.Itoa(i%10), 99)...)
		buf = append(buf, '\n')
		msgs = append(msgs, msgSpan{end: len(buf), record: i})
	}
	w := &chunks{}
	n, err := writeLines(w, buf, msgs, pipeBuf)
	if err != nil || n != 100 {
		t.Fatalf("writeLines = %d, %v", n, err)
	}
	if !bytes.Equal(bytes.Join(w.writes, nil), buf) {
		t.Fatal("output differs")
	}
	for _, c := range w.writes {
		if len(c) > pipeBuf || c[len(c)-1] != '\n' {
			t.Errorf("write of %d bytes ending in %q", len(c), c[len(c)-1])
		}
	}
	// A short write: the messages wholly written are counted.
	w = &chunks{limit: 250}
	n, err = writeLines(w, buf, msgs, pipeBuf)
	if err == nil || n != 2 {
		t.Errorf("short write: %d, %v; want 2 and an error", n, err)
	}
}

type chunks struct {
	writes [][]byte
	limit  int
}

func (c *chunks) Write(p []byte) (int, error) {
	if c.limit > 0 && len(p) > c.limit {
		return c.limit, io.ErrShortWrite
	}
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func TestEnqueueAllocations(t *testing.T) {
	var c counters
	q := newQueue(t, Output{Kind: File, Path: filepath.Join(t.TempDir(), "q.log")}, 1<<20, &c)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	r := rec{n: 1, msg: "x"}
	for range 1000 { // grow the queue's slice first
		q.Enqueue(r)
	}
	if a := testing.AllocsPerRun(1000, func() { q.Enqueue(r) }); a > 0.01 {
		t.Errorf("Enqueue: %v allocations", a)
	}
}

func BenchmarkEnqueue(b *testing.B) {
	q, err := New(Options[rec]{
		Output: Output{Kind: File, Path: filepath.Join(b.TempDir(), "q.log")},
		Format: func(e *Emitter, r *rec) {
			e.Emit(time.Now(), SevInfo, "queries", strconv.AppendInt(e.Buf(), int64(r.n), 10))
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := q.Start(); err != nil {
		b.Fatal(err)
	}
	defer q.Stop()
	b.RunParallel(func(pb *testing.PB) {
		r := rec{n: 1, msg: "www.example.org."}
		for pb.Next() {
			q.Enqueue(r)
		}
	})
}
