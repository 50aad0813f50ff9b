package rrl

import (
	"strconv"
	"time"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/logsink"
)

// newLog is the rate-limit log: BIND's rate-limit lines when an account
// starts being limited, every half hour it stays so, and when it stops.
func newLog(out logsink.Output) (*logsink.Queue[event], error) {
	var errorLogged time.Time
	return logsink.New(logsink.Options[event]{
		Output:  out,
		Prefix:  true,
		Format:  formatEvent,
		Dropped: func(*event) { logDropped.WithLabelValues("").Inc() },
		Failed:  func(*event) { logDropped.WithLabelValues("").Inc() },
		WriteError: func(err error) {
			if now := time.Now(); now.Sub(errorLogged) >= 10*time.Second {
				errorLogged = now
				log.Warningf("rate-limit log %s: %v", out, err)
			}
		},
		Notice: func(n uint64) {
			log.Warningf("rate-limit log %s: %d lines dropped (output too slow or unavailable)", out, n)
		},
	})
}

// eventWords start the line of each kind of event.
var eventWords = [...]string{evLimit: "limit ", evContinue: "continue limiting ", evStop: "stop limiting ", evEarlyStop: "stop limiting "}

// formatEvent runs in the log writer goroutine.
func formatEvent(e *logsink.Emitter, ev *event) {
	e.Emit(ev.time, logsink.SevInfo, "rate-limit", appendEvent(e.Buf(), ev))
}

// appendEvent is BIND's make_log_buf.
func appendEvent(b []byte, ev *event) []byte {
	if ev.kind == evEarlyStop {
		b = append(b, '*')
	}
	if ev.logOnly {
		b = append(b, "would "...)
	}
	b = append(b, eventWords[ev.kind]...)
	switch ev.class {
	case classReferral:
		b = append(b, "referral "...)
	case classNodata:
		b = append(b, "NODATA "...)
	case classNxdomain:
		b = append(b, "NXDOMAIN "...)
	case classError:
		if ev.kind == evLimit || ev.kind == evContinue {
			b = bindfmt.AppendRcode(b, ev.rcode)
			b = append(b, ' ')
		}
		b = append(b, "error "...)
	case classAll:
		b = append(b, "all "...)
	}
	b = append(b, "responses to "...)
	b = ev.prefix.Addr().AppendTo(b)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(ev.prefix.Bits()), 10)
	switch ev.class {
	case classResponse, classReferral, classNodata, classNxdomain:
		b = append(b, " for "...)
		if ev.name == "" {
			b = append(b, "(?)"...)
		} else {
			b = bindfmt.AppendName(b, ev.name)
		}
		if ev.class != classNxdomain {
			b = append(b, ' ')
			b = bindfmt.AppendClass(b, ev.qclass)
			if ev.class == classResponse {
				b = append(b, ' ')
				b = bindfmt.AppendType(b, ev.qtype)
			}
		}
		b = append(b, "  ("...)
		const hex = "0123456789abcdef"
		for s := 28; s >= 0; s -= 4 {
			b = append(b, hex[ev.hash>>uint(s)&0xf])
		}
		b = append(b, ')')
	}
	return b
}
