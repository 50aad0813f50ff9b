package querylog

import (
	"strconv"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/logsink"
)

// The hunt tables and the history in the statistics document (GET /json,
// and the json interval summary, which leaves the history out).
type (
	huntJSON struct {
		Responses       responsesJSON   `json:"responses"`
		NXDomainNames   []classNameJSON `json:"nxdomain_names"`
		ServFailNames   []classNameJSON `json:"servfail_names"`
		RefusedNames    []classNameJSON `json:"refused_names"`
		ClassNameBounds classBoundsJSON `json:"class_name_error_bounds"`
		BytesSent       []bytesSentJSON `json:"clients_by_bytes_sent"`
		BytesSentBound  uint64          `json:"bytes_sent_error_bound"`
		History         *historyJSON    `json:"history,omitempty"`
	}
	// responsesJSON counts every query by its response (exact).
	responsesJSON struct {
		NoError  uint64 `json:"noerror"`
		NXDomain uint64 `json:"nxdomain"`
		ServFail uint64 `json:"servfail"`
		Refused  uint64 `json:"refused"`
		Other    uint64 `json:"other"`
	}
	classNameJSON struct {
		Name    string `json:"name"`
		Queries uint64 `json:"queries"`
		Error   uint64 `json:"error"`
	}
	classBoundsJSON struct {
		NXDomain uint64 `json:"nxdomain"`
		ServFail uint64 `json:"servfail"`
		Refused  uint64 `json:"refused"`
	}
	bytesSentJSON struct {
		IP        string `json:"ip"`
		BytesSent uint64 `json:"bytes_sent"`
		Error     uint64 `json:"error"`
	}
	// historyJSON: per second (5 min) and per minute (1 h), oldest first, last still counting.
	historyJSON struct {
		End       string   `json:"end"`
		PerSecond []uint32 `json:"per_second"`
		PerMinute []uint64 `json:"per_minute"`
	}
)

// huntJSON converts the hunt tables, keeping at most limit entries of each
// (limit <= 0: all, with the history).
func (s *snapshot) huntJSON(limit int) huntJSON {
	h := &s.Hunt
	r := &h.Rcodes
	j := huntJSON{
		Responses: responsesJSON{
			NoError: r[rcodeNoError], NXDomain: r[rcodeNXDomain], ServFail: r[rcodeServFail],
			Refused: r[rcodeRefused], Other: r[rcodeOther],
		},
		ClassNameBounds: classBoundsJSON{
			NXDomain: h.FailedBound[failNXDomain],
			ServFail: h.FailedBound[failServFail],
			Refused:  h.FailedBound[failRefused],
		},
		BytesSent:      []bytesSentJSON{},
		BytesSentBound: h.SenderBound,
	}
	lists := [failClasses]*[]classNameJSON{&j.NXDomainNames, &j.ServFailNames, &j.RefusedNames}
	for c, list := range lists {
		*list = []classNameJSON{}
		for _, n := range head(h.Failed[c], limit) {
			*list = append(*list, classNameJSON{Name: jsonName(n.Key), Queries: n.Count, Error: n.Error})
		}
	}
	for _, c := range head(h.Senders, limit) {
		j.BytesSent = append(j.BytesSent, bytesSentJSON{IP: c.Key.String(), BytesSent: c.Count, Error: c.Error})
	}
	if limit <= 0 && s.Hist.PerSecond != nil {
		j.History = &historyJSON{End: rfc3339(s.Hist.End), PerSecond: s.Hist.PerSecond, PerMinute: s.Hist.PerMinute}
	}
	return j
}

// writeHuntSummary writes the top summaryTop of each hunt table into the bind
// summary, after the names.
func writeHuntSummary(e *logsink.Emitter, s *snapshot) {
	h := &s.Hunt
	r := &h.Rcodes
	b := e.Buf()
	b = append(b, "responses="...)
	b = strconv.AppendUint(b, r[rcodeNoError]+r[rcodeNXDomain]+r[rcodeServFail]+r[rcodeRefused]+r[rcodeOther], 10)
	b = appendUint(b, " noerror=", r[rcodeNoError])
	b = appendUint(b, " nxdomain=", r[rcodeNXDomain])
	b = appendUint(b, " servfail=", r[rcodeServFail])
	b = appendUint(b, " refused=", r[rcodeRefused])
	b = appendUint(b, " other=", r[rcodeOther])
	e.Emit(s.Now, logsink.SevInfo, "statistics", b)
	for c, list := range h.Failed {
		for _, n := range head(list, summaryTop) {
			b := e.Buf()
			b = append(b, failNames[c]...)
			b = append(b, "_name="...)
			b = bindfmt.AppendName(b, n.Key)
			b = appendUint(b, " queries=", n.Count)
			b = appendUint(b, " error=", n.Error)
			e.Emit(s.Now, logsink.SevInfo, "statistics", b)
		}
	}
	for _, c := range head(h.Senders, summaryTop) {
		b := e.Buf()
		b = append(b, "sender="...)
		b = c.Key.AppendTo(b)
		b = appendUint(b, " bytes_sent=", c.Count)
		b = appendUint(b, " error=", c.Error)
		e.Emit(s.Now, logsink.SevInfo, "statistics", b)
	}
}
