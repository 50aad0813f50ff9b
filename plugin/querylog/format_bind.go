package querylog

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/logsink"
)

// formatBIND writes BIND 9.18's query line (with ECS when present), with
// responses corebind's response line, and for a TSIG failure the security line.
func (l *logger) formatBIND(e *logsink.Emitter, rec *record) {
	t := time.Unix(0, rec.time)
	b := e.Buf()
	if rec.kind == kindTSIGFailure {
		b = bindfmt.AppendTSIGFailure(b, rec.id, rec.client, rec.key, int(rec.rcode))
		e.Emit(t, logsink.SevError, "security", b)
		return
	}
	b = bindfmt.AppendClient(b, rec.id, rec.client, rec.key, rec.qname)
	b = bindfmt.AppendQuery(b, rec.qname, rec.qclass, rec.qtype, rec.flags, rec.ednsVersion, serverIP(rec))
	if rec.hasECS {
		b = append(b, ' ')
		b = bindfmt.AppendECS(b, rec.ecs())
	}
	e.Emit(t, logsink.SevInfo, "queries", b)
	if !l.responses {
		return
	}
	b = e.Buf()
	b = bindfmt.AppendClient(b, rec.id, rec.client, rec.key, rec.qname)
	b = append(b, "response: "...)
	b = bindfmt.AppendName(b, rec.qname)
	b = append(b, ' ')
	b = bindfmt.AppendClass(b, rec.qclass)
	b = append(b, ' ')
	b = bindfmt.AppendType(b, rec.qtype)
	b = append(b, ' ')
	b = appendRcode(b, rec)
	b = appendRespFlags(b, rec.respFlags)
	b = appendUint(b, " answer ", uint64(rec.answers))
	b = appendUint(b, " authority ", uint64(rec.authority))
	b = appendUint(b, " additional ", uint64(rec.additional))
	b = appendUint(b, " size ", uint64(rec.size))
	b = append(b, " duration "...)
	b = appendSeconds(b, rec.duration)
	e.Emit(t.Add(time.Duration(rec.duration)), logsink.SevInfo, "responses", b)
}

// appendRcode appends the rcode's mnemonic, "-" when no response was sent.
func appendRcode(b []byte, rec *record) []byte {
	if !rec.responded {
		return append(b, '-')
	}
	return bindfmt.AppendRcode(b, int(rec.rcode))
}

// appendRespFlags appends the response header flags worth seeing, as dig
// names them: " aa", " tc", " ra", " ad" (the order of respAA...).
func appendRespFlags(b []byte, f uint8) []byte {
	for i, name := range [...]string{" aa", " tc", " ra", " ad"} {
		if f&(1<<i) != 0 {
			b = append(b, name...)
		}
	}
	return b
}

// appendSeconds appends a duration in seconds with microsecond precision.
func appendSeconds(b []byte, ns int64) []byte {
	return strconv.AppendFloat(b, float64(ns/1e3)/1e6, 'f', 6, 64)
}

// serverIP is the query's destination, or the family's unspecified address
// when a wildcard listener cannot tell.
func serverIP(rec *record) netip.Addr {
	a := rec.local.Addr()
	if !a.IsValid() || a.IsUnspecified() {
		if rec.client.Addr().Is4() {
			return netip.IPv4Unspecified()
		}
		return netip.IPv6Unspecified()
	}
	return a
}
