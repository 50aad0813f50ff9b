package logsink

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSize is the default number of records a Queue holds.
const DefaultSize = 65536

const (
	flushEvery      = 100 * time.Millisecond // writer wake-up (sooner at a quarter full)
	flushAt         = 64 << 10               // pending output that triggers a write
	dropReportEvery = 10 * time.Second
	stopTimeout     = 5 * time.Second // how long Stop waits for the drain
)

// Options configure a Queue.
type Options[T any] struct {
	Output Output
	// Size is how many records may wait for the writer; 0 means DefaultSize.
	Size int
	// Prefix puts BIND's file-channel prefix before messages on stdout,
	// stderr and files; syslog has its own header.
	Prefix bool

	Format      func(e *Emitter, rec *T)                  // required; writer goroutine
	Tick        func(e *Emitter, now time.Time)           // about once a second, writer goroutine
	FormatDrops func(e *Emitter, now time.Time, n uint64) // default: BIND-style "general" warning

	// Hooks, each optional. Dropped runs on the query path (concurrently,
	// must be cheap); the others run in the writer.
	Dropped    func(rec *T)
	Failed     func(rec *T) // lost in a failed write or while the output was down
	WriteError func(err error)
	Notice     func(n uint64) // a drop notice was written, for CoreDNS's own log
}

// Queue carries records of type T from the query path to an output.
type Queue[T any] struct {
	opts   Options[T]
	wakeAt int

	mu      sync.Mutex
	recs    []T  // filled by Enqueue, emptied by the writer
	running bool // between Start and Stop

	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64 // records lost, for the drop notices

	// Writer goroutine state.
	sink     sink
	em       Emitter
	batch    []T
	reported uint64    // dropped count at the last notice
	noticed  time.Time // time of the last notice
	lastTick time.Time
}

// New returns a Queue for the output in opts, ready to Start.
func New[T any](opts Options[T]) (*Queue[T], error) {
	if opts.Format == nil {
		return nil, errors.New("logsink: Options.Format is nil")
	}
	if opts.Size < 0 {
		return nil, fmt.Errorf("logsink: negative queue size %d", opts.Size)
	}
	if opts.Size == 0 {
		opts.Size = DefaultSize
	}
	q := &Queue[T]{opts: opts, wakeAt: max(1, opts.Size/4)}
	o := opts.Output
	em, err := NewEmitter(o, opts.Prefix)
	if err != nil {
		return nil, err
	}
	q.em = *em
	switch o.Kind {
	case Stdout:
		q.sink = &lineSink{w: os.Stdout}
	case Stderr:
		q.sink = &lineSink{w: os.Stderr}
	case File:
		q.sink = &fileSink{path: o.Path}
	case Syslog:
		addr := o.Addr
		if o.Network == "unix" {
			addr = o.Path
		}
		q.sink = &netSink{network: o.Network, addr: addr}
	}
	return q, nil
}

// Output returns the output the Queue writes to.
func (q *Queue[T]) Output() Output { return q.opts.Output }

// Start opens the output and starts the writer (OnStartup). Only a file that
// cannot be opened is an error: syslog is retried by the writer.
func (q *Queue[T]) Start() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running {
		return nil
	}
	if q.done != nil {
		select {
		case <-q.done:
		default:
			// A Stop that timed out left the writer blocked in a write.
			return fmt.Errorf("writing to %s: the previous writer is still blocked", q.opts.Output)
		}
	}
	if err := q.sink.open(); err != nil {
		return err
	}
	q.running = true
	q.wake = make(chan struct{}, 1)
	q.stop = make(chan struct{})
	q.done = make(chan struct{})
	go q.run(q.wake, q.stop, q.done)
	return nil
}

// Stop writes every queued record, flushes, closes the output and ends the
// writer (OnShutdown); an output blocked for over 5 seconds is closed under it.
func (q *Queue[T]) Stop() error {
	q.mu.Lock()
	if !q.running {
		q.mu.Unlock()
		return nil
	}
	q.running = false
	stop, done := q.stop, q.done
	q.mu.Unlock()

	close(stop)
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
	}
	q.sink.interrupt()
	select {
	case <-done:
	case <-time.After(stopTimeout):
		return fmt.Errorf("writing to %s: still blocked after %s", q.opts.Output, 2*stopTimeout)
	}
	return fmt.Errorf("writing to %s: blocked for %s; connection closed", q.opts.Output, stopTimeout)
}

// Enqueue queues a copy of rec for the writer and reports whether it was
// accepted. It never blocks: when the queue is full the record is dropped,
// counted, and handed to the Dropped hook. Safe for concurrent use.
func (q *Queue[T]) Enqueue(rec T) bool {
	q.mu.Lock()
	n := len(q.recs)
	if n >= q.opts.Size {
		q.mu.Unlock()
		q.dropped.Add(1)
		if q.opts.Dropped != nil {
			r := rec // a copy, so that rec itself does not escape
			q.opts.Dropped(&r)
		}
		return false
	}
	q.recs = append(q.recs, rec)
	wake := q.wake
	q.mu.Unlock()
	if n+1 == q.wakeAt && wake != nil {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	return true
}

// Dropped returns the records lost so far, to a full queue or failed writes.
func (q *Queue[T]) Dropped() uint64 { return q.dropped.Load() }

// run is the writer goroutine.
func (q *Queue[T]) run(wake, stop, done chan struct{}) {
	defer close(done)
	ticker := time.NewTicker(flushEvery)
	defer ticker.Stop()
	for {
		select {
		case <-wake:
		case <-ticker.C:
		case <-stop:
			q.drain()
			q.periodic(time.Now(), true)
			q.flush()
			if err := q.sink.close(); err != nil {
				q.writeError(err)
			}
			return
		}
		q.drain()
		now := time.Now()
		if now.Sub(q.lastTick) >= time.Second {
			q.lastTick = now
			q.periodic(now, false)
			q.flush()
		}
	}
}

// drain writes everything queued, one batch at a time.
func (q *Queue[T]) drain() {
	for {
		q.mu.Lock()
		q.batch, q.recs = q.recs, q.batch[:0]
		q.mu.Unlock()
		if len(q.batch) == 0 {
			return
		}
		for i := range q.batch {
			q.em.record = i
			q.opts.Format(&q.em, &q.batch[i])
			if len(q.em.out) >= flushAt {
				q.flush()
			}
		}
		q.em.record = -1
		q.flush()
		clear(q.batch) // let the records' strings go
		q.batch = q.batch[:0]
	}
}

// periodic runs the once-a-second duties: file rotation, the caller's Tick
// and the drop notice (always at the final stop).
func (q *Queue[T]) periodic(now time.Time, final bool) {
	if err := q.sink.maintain(now); err != nil {
		q.writeError(err)
	}
	if q.opts.Tick != nil {
		q.opts.Tick(&q.em, now)
	}
	d := q.dropped.Load()
	if d > q.reported && (final || q.noticed.IsZero() || now.Sub(q.noticed) >= dropReportEvery) {
		n := d - q.reported
		q.reported, q.noticed = d, now
		if q.opts.FormatDrops != nil {
			q.opts.FormatDrops(&q.em, now, n)
		} else {
			b := q.em.Buf()
			b = strconv.AppendUint(b, n, 10)
			b = append(b, " log records dropped (output too slow or unavailable)"...)
			q.em.Emit(now, SevWarning, "general", b)
		}
		if q.opts.Notice != nil {
			q.opts.Notice(n)
		}
	}
}

// flush writes the pending output, counting what a failed write lost per record.
func (q *Queue[T]) flush() {
	e := &q.em
	if len(e.msgs) == 0 {
		return
	}
	n, err := q.sink.write(e.out, e.msgs)
	if err != nil {
		if err != errWaiting {
			q.writeError(err)
		}
		last := -1
		for _, m := range e.msgs[n:] {
			if m.record < 0 || m.record == last {
				continue
			}
			last = m.record
			q.dropped.Add(1)
			if q.opts.Failed != nil {
				q.opts.Failed(&q.batch[m.record])
			}
		}
	}
	e.Reset()
}

func (q *Queue[T]) writeError(err error) {
	if q.opts.WriteError != nil {
		q.opts.WriteError(err)
	}
}
