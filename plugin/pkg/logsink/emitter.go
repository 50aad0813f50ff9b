package logsink

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
)

// framing is how messages are wrapped for an output.
type framing uint8

const (
	frameLine    framing = iota // [BIND prefix] MSG \n (stdout, stderr, file)
	frameBSD                    // <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG (local syslog socket)
	frame5424                   // <PRI>1 TIMESTAMP HOST TAG PID MSGID - MSG (syslog over UDP)
	frame5424TCP                // LEN SP <the same> (syslog over TCP, RFC 6587 octet counting)
)

// Emitter collects the messages that a Format, Tick or FormatDrops function
// produces, framed for the Queue's output. It is only valid during that call
// and belongs to the writer goroutine.
type Emitter struct {
	framing  framing
	prefix   bool // BIND file-channel prefix on line outputs
	facility int
	ident    string // what follows a syslog header's time: " TAG[PID]: " or " HOST TAG PID "

	clock   bindfmt.TimeCache // the file-channel prefix's time, per second
	scratch []byte
	out     []byte    // framed messages waiting to be written
	msgs    []msgSpan // where each message in out ends, and whose it is
	record  int       // index of the record being formatted, -1 for none
	header  []byte    // 5424 header scratch for octet counting
}

// msgSpan is one framed message in Emitter.out.
type msgSpan struct {
	end    int // offset just past the message
	record int // index in the writer's batch, -1 for notices and summaries
}

// hostname is the HOSTNAME field of RFC 5424 messages.
func hostname() string {
	h, err := os.Hostname()
	unprintable := strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r >= 0x7f })
	if err != nil || h == "" || len(h) > 255 || unprintable {
		return "-"
	}
	return h
}

// NewEmitter returns an Emitter that frames messages as a Queue with output
// o and option Prefix does; alone, without a queue or an output, it serves to
// test or benchmark a Format function (Bytes returns what was emitted).
func NewEmitter(o Output, prefix bool) (*Emitter, error) {
	e := &Emitter{prefix: prefix, record: -1, facility: o.Facility.code()}
	pid := strconv.Itoa(os.Getpid())
	switch o.Kind {
	case Stdout, Stderr, File:
		e.framing = frameLine
	case Syslog:
		e.ident = " " + hostname() + " " + o.tag() + " " + pid + " " // RFC 5424's HOSTNAME APP-NAME PROCID
		switch o.Network {
		case "unix":
			e.framing, e.ident = frameBSD, " "+o.tag()+"["+pid+"]: "
		case "udp":
			e.framing = frame5424
		case "tcp":
			e.framing = frame5424TCP
		default:
			return nil, fmt.Errorf("logsink: unknown syslog network %q", o.Network)
		}
	default:
		return nil, fmt.Errorf("logsink: unknown output kind %d", o.Kind)
	}
	return e, nil
}

// Bytes returns the framed messages emitted since the last Reset.
func (e *Emitter) Bytes() []byte { return e.out }

// Buf returns an empty buffer to format a message into for Emit; do not keep
// it after Emit, which reuses its storage so formatting does not allocate.
func (e *Emitter) Buf() []byte { return e.scratch[:0] }

// Emit adds one single-line message built on Buf, framed for the output: a
// BIND file-channel prefix (with the Prefix option), a local syslog header or
// an RFC 5424 header with category as MSGID.
func (e *Emitter) Emit(t time.Time, sev Severity, category string, msg []byte) {
	e.scratch = msg[:0] // keep a grown buffer for the next Buf
	switch e.framing {
	case frameLine:
		if e.prefix {
			e.out = e.clock.AppendPrefix(e.out, t, category, sev.String())
		}
		e.out = append(e.out, msg...)
		e.out = append(e.out, '\n')
	case frameBSD:
		e.out = e.appendPRI(e.out, sev)
		e.out = t.AppendFormat(e.out, time.Stamp)
		e.out = append(e.out, e.ident...)
		e.out = append(e.out, msg...)
	case frame5424:
		e.out = e.append5424(e.out, t, sev, category)
		e.out = append(e.out, msg...)
	case frame5424TCP:
		e.header = e.append5424(e.header[:0], t, sev, category)
		e.out = strconv.AppendInt(e.out, int64(len(e.header)+len(msg)), 10)
		e.out = append(e.out, ' ')
		e.out = append(e.out, e.header...)
		e.out = append(e.out, msg...)
	}
	e.msgs = append(e.msgs, msgSpan{end: len(e.out), record: e.record})
}

func (e *Emitter) appendPRI(b []byte, sev Severity) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(e.facility*8+int(sev&7)), 10)
	return append(b, '>')
}

// append5424 appends "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - ".
func (e *Emitter) append5424(b []byte, t time.Time, sev Severity, msgid string) []byte {
	b = e.appendPRI(b, sev)
	b = append(b, "1 "...)
	b = t.AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
	b = append(b, e.ident...)
	if msgid == "" {
		msgid = "-"
	}
	b = append(b, msgid...)
	return append(b, " - "...)
}

// Reset empties the emitted output.
func (e *Emitter) Reset() {
	e.out = e.out[:0]
	e.msgs = e.msgs[:0]
}

// sink is an output. Its methods are called by the writer goroutine only,
// except interrupt.
type sink interface {
	// open prepares the output at Start; only an error that will not go
	// away by itself (a file that cannot be created) is returned.
	open() error
	// write delivers the framed messages of buf (msgs[i].end is where
	// message i ends) and returns how many leading messages were delivered.
	write(buf []byte, msgs []msgSpan) (int, error)
	// maintain is called about once a second (file rotation checks).
	maintain(now time.Time) error
	// close flushes and closes the output at Stop.
	close() error
	// interrupt unblocks a blocked write, from another goroutine.
	interrupt()
}
