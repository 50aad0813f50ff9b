package querylog

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/logsink"
)

// jsonTime is the time format of JSON records: RFC 3339, UTC, microseconds.
const jsonTime = "2006-01-02T15:04:05.000000Z07:00"

// formatJSON writes one JSON object per query. The field names are a
// documented, stable contract (README.md, "JSON fields").
func (l *logger) formatJSON(e *logsink.Emitter, rec *record) {
	if rec.kind == kindTSIGFailure {
		l.formatTSIGFailureJSON(e, rec)
		return
	}
	b := e.Buf()
	b = append(b, `{"type":"query","time":"`...)
	b = time.Unix(0, rec.time).UTC().AppendFormat(b, jsonTime)
	b = appendJSONEndpoints(b, rec)
	b = append(b, `,"qname":`...)
	b = l.appendJSONName(b, rec.qname)
	b = append(b, `,"qtype":"`...)
	b = bindfmt.AppendType(b, rec.qtype)
	b = append(b, `","qclass":"`...)
	b = bindfmt.AppendClass(b, rec.qclass)
	b = appendUint(b, `","id":`, uint64(rec.msgID))
	b = appendBool(b, `,"rd":`, rec.flags&bindfmt.RD != 0)
	b = appendBool(b, `,"cd":`, rec.flags&bindfmt.CD != 0)
	b = appendBool(b, `,"do":`, rec.flags&bindfmt.DO != 0)
	if rec.flags&bindfmt.EDNS != 0 {
		b = appendUint(b, `,"edns_version":`, uint64(rec.ednsVersion))
	}
	b = appendUint(b, `,"edns_bufsize":`, uint64(rec.bufsize))
	b = append(b, `,"flags":"`...)
	b = bindfmt.AppendFlags(b, rec.flags, rec.ednsVersion)
	b = append(b, '"')
	if rec.key != "" {
		b = append(b, `,"tsig_key":`...)
		b = l.appendJSONName(b, rec.key)
	}
	if rec.hasECS {
		b = appendJSONECS(b, rec.ecs())
	}
	b = appendUint(b, `,"request_size":`, uint64(rec.reqSize))
	b = append(b, `,"rcode":"`...)
	b = appendRcode(b, rec)
	b = appendBool(b, `","aa":`, rec.respFlags&respAA != 0)
	b = appendBool(b, `,"tc":`, rec.respFlags&respTC != 0)
	b = appendUint(b, `,"answers":`, uint64(rec.answers))
	b = appendUint(b, `,"authority":`, uint64(rec.authority))
	b = appendUint(b, `,"additional":`, uint64(rec.additional))
	b = appendUint(b, `,"size":`, uint64(rec.size))
	b = append(b, `,"duration_seconds":`...)
	b = appendSeconds(b, rec.duration)
	b = append(b, `,"zone":`...)
	b = appendJSONString(b, longestZone(rec.qname, l.blockZones))
	b = append(b, `,"server":`...)
	b = appendJSONString(b, rec.server)
	b = append(b, '}')
	e.Emit(time.Unix(0, rec.time), logsink.SevInfo, "queries", b)
}

// formatTSIGFailureJSON is the JSON form of BIND's TSIG failure line.
func (l *logger) formatTSIGFailureJSON(e *logsink.Emitter, rec *record) {
	b := e.Buf()
	b = append(b, `{"type":"tsig_failure","time":"`...)
	b = time.Unix(0, rec.time).UTC().AppendFormat(b, jsonTime)
	b = appendJSONEndpoints(b, rec)
	b = appendUint(b, `,"id":`, uint64(rec.msgID))
	b = append(b, `,"tsig_key":`...)
	b = l.appendJSONName(b, rec.key)
	b = append(b, `,"tsig_error":"`...)
	b = bindfmt.AppendTSIGError(b, int(rec.rcode))
	b = append(b, `","server":`...)
	b = appendJSONString(b, rec.server)
	b = append(b, '}')
	e.Emit(time.Unix(0, rec.time), logsink.SevError, "security", b)
}

// appendJSONEndpoints appends the fields from client_ip to proto.
func appendJSONEndpoints(b []byte, rec *record) []byte {
	b = append(b, `","client_ip":"`...)
	b = rec.client.Addr().AppendTo(b)
	b = appendUint(b, `","client_port":`, uint64(rec.client.Port()))
	b = append(b, `,"server_ip":"`...)
	b = serverIP(rec).AppendTo(b)
	b = appendUint(b, `","server_port":`, uint64(rec.local.Port()))
	b = append(b, `,"proto":"`...)
	if rec.flags&bindfmt.TCP != 0 {
		b = append(b, "tcp"...)
	} else {
		b = append(b, "udp"...)
	}
	return append(b, '"')
}

// appendJSONECS appends ecs_family, ecs_address, ecs_source, ecs_scope and ecs.
func appendJSONECS(b []byte, e bindfmt.ECS) []byte {
	b = appendUint(b, `,"ecs_family":`, uint64(e.Family))
	if e.Addr.IsValid() { // rec.ecs: of family 1 or 2, as received
		b = append(b, `,"ecs_address":"`...)
		b = e.Addr.AppendTo(b)
		b = append(b, '"')
	}
	b = appendUint(b, `,"ecs_source":`, uint64(e.Source))
	b = appendUint(b, `,"ecs_scope":`, uint64(e.Scope))
	b = append(b, `,"ecs":"`...)
	b = bindfmt.AppendECSValue(b, e)
	return append(b, '"')
}

// formatDropsJSON is the drop notice in JSON.
func (l *logger) formatDropsJSON(e *logsink.Emitter, now time.Time, n uint64) {
	b := e.Buf()
	b = append(b, `{"type":"dropped","time":"`...)
	b = now.UTC().AppendFormat(b, jsonTime)
	b = appendUint(b, `","dropped":`, n)
	b = append(b, `,"output":`...)
	b = appendJSONString(b, l.output.String())
	b = append(b, '}')
	e.Emit(now, logsink.SevWarning, "general", b)
}

// appendJSONName appends a name as a JSON string, fully qualified with BIND's
// escapes, so it reads the same in both formats.
func (l *logger) appendJSONName(b []byte, name string) []byte {
	l.scratch = presentName(l.scratch[:0], name)
	return appendJSONString(b, string(l.scratch)) // no allocation: the conversion does not escape
}

// presentName appends name fully qualified in BIND's presentation form.
func presentName(b []byte, name string) []byte {
	b = bindfmt.AppendName(b, name)
	if len(b) > 0 && !(len(b) == 1 && b[0] == '.') {
		b = append(b, '.')
	}
	return b
}

// appendUint appends key, then v in decimal.
func appendUint(b []byte, key string, v uint64) []byte {
	return strconv.AppendUint(append(b, key...), v, 10)
}

func appendBool(b []byte, key string, v bool) []byte {
	b = append(b, key...)
	return strconv.AppendBool(b, v)
}

// appendJSONString appends s as a JSON string, escaping quotes, backslashes
// and control characters, and replacing invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
