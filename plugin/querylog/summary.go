package querylog

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/logsink"
)

// summaryTop is how many clients and names the interval summary lists; the
// HTTP endpoint has them all.
const summaryTop = 10

// The statistics as JSON: the document of GET /json, and of the interval
// summary in json format (with "type" and at most summaryTop entries).
type (
	statsJSON struct {
		Type           string       `json:"type,omitempty"`
		Time           string       `json:"time"`
		Since          string       `json:"since"`
		Queries        uint64       `json:"queries"`
		ClientsSeen    uint64       `json:"clients_seen"`
		TopSlots       int          `json:"top_slots"`
		NameSlots      int          `json:"name_slots"`
		ErrorBound     uint64       `json:"error_bound"`
		NameErrorBound uint64       `json:"name_error_bound"`
		Clients        []clientJSON `json:"clients"`
		Names          []nameJSON   `json:"names"`
		huntJSON
	}
	clientJSON struct {
		IP            string          `json:"ip"`
		Queries       uint64          `json:"queries"`
		Error         uint64          `json:"error"`
		NoError       uint64          `json:"noerror"`
		NXDomain      uint64          `json:"nxdomain"`
		Refused       uint64          `json:"refused"`
		ServFail      uint64          `json:"servfail"`
		Other         uint64          `json:"other"`
		RD            uint64          `json:"rd"`
		TCP           uint64          `json:"tcp"`
		Received      uint64          `json:"bytes_received"`
		Sent          uint64          `json:"bytes_sent"`
		Amplification float64         `json:"amplification"`
		FirstSeen     string          `json:"first_seen"`
		LastSeen      string          `json:"last_seen"`
		Names         []nameCountJSON `json:"names"`
	}
	nameCountJSON struct {
		Name    string `json:"name"`
		Queries uint64 `json:"queries"`
	}
	nameJSON struct {
		Name    string `json:"name"`
		Queries uint64 `json:"queries"`
		Error   uint64 `json:"error"`
		Clients uint64 `json:"clients"`
	}
)

func rfc3339(t time.Time) string { return t.UTC().Format(jsonTime) }

func unixTime(ns int64) string { return rfc3339(time.Unix(0, ns)) }

// jsonName is a name as the JSON output writes it (see presentName).
func jsonName(name string) string { return string(presentName(nil, name)) }

// toJSON converts a snapshot with at most limit clients and names (<= 0: all).
func (s *snapshot) toJSON(limit int) *statsJSON {
	j := &statsJSON{
		Time:           rfc3339(s.Now),
		Since:          rfc3339(s.Since),
		Queries:        s.Queries,
		ClientsSeen:    s.Clients,
		TopSlots:       s.Top,
		NameSlots:      s.Slots,
		ErrorBound:     s.ErrorBound,
		NameErrorBound: s.NameBound,
		Clients:        []clientJSON{},
		Names:          []nameJSON{},
	}
	for _, c := range head(s.Tracked, limit) {
		k := &c.Value
		cj := clientJSON{
			IP: c.Key.String(), Queries: c.Count, Error: c.Error,
			NoError: k.rcodes[rcodeNoError], NXDomain: k.rcodes[rcodeNXDomain], Refused: k.rcodes[rcodeRefused],
			ServFail: k.rcodes[rcodeServFail], Other: k.rcodes[rcodeOther],
			RD: k.rd, TCP: k.tcp, Received: k.received, Sent: k.sent,
			FirstSeen: unixTime(k.first), LastSeen: unixTime(k.last),
			Names: []nameCountJSON{},
		}
		if k.received > 0 {
			cj.Amplification = math.Round(float64(k.sent)/float64(k.received)*100) / 100
		}
		for _, n := range k.topNames() {
			cj.Names = append(cj.Names, nameCountJSON{Name: jsonName(n.name), Queries: n.count})
		}
		j.Clients = append(j.Clients, cj)
	}
	for _, n := range head(s.Names, limit) {
		j.Names = append(j.Names, nameJSON{Name: jsonName(n.Key), Queries: n.Count, Error: n.Error, Clients: n.Value})
	}
	j.huntJSON = s.huntJSON(limit)
	return j
}

// writeSummary writes the interval summary in the directive's format.
func (l *logger) writeSummary(e *logsink.Emitter, s *snapshot) {
	if l.format == formatJSON {
		j := s.toJSON(summaryTop)
		j.Type = "statistics"
		data, err := json.Marshal(j)
		if err != nil {
			return
		}
		e.Emit(s.Now, logsink.SevInfo, "statistics", append(e.Buf(), data...))
		return
	}
	// bind: key=value lines in category statistics, a total line first.
	b := e.Buf()
	b = append(b, "since="...)
	b = append(b, rfc3339(s.Since)...)
	b = appendUint(b, " queries=", s.Queries)
	b = appendUint(b, " clients=", s.Clients)
	b = appendUint(b, " tracked=", uint64(len(s.Tracked)))
	b = appendUint(b, " top=", uint64(s.Top))
	b = appendUint(b, " error_bound=", s.ErrorBound)
	b = appendUint(b, " names=", uint64(len(s.Names)))
	b = appendUint(b, " name_error_bound=", s.NameBound)
	e.Emit(s.Now, logsink.SevInfo, "statistics", b)
	for _, c := range head(s.Tracked, summaryTop) {
		k := &c.Value
		b := e.Buf()
		b = append(b, "client="...)
		b = c.Key.AppendTo(b)
		b = appendUint(b, " queries=", c.Count)
		b = appendUint(b, " error=", c.Error)
		b = appendUint(b, " noerror=", k.rcodes[rcodeNoError])
		b = appendUint(b, " nxdomain=", k.rcodes[rcodeNXDomain])
		b = appendUint(b, " refused=", k.rcodes[rcodeRefused])
		b = appendUint(b, " servfail=", k.rcodes[rcodeServFail])
		b = appendUint(b, " other=", k.rcodes[rcodeOther])
		b = appendUint(b, " rd=", k.rd)
		b = appendUint(b, " tcp=", k.tcp)
		b = appendUint(b, " received=", k.received)
		b = appendUint(b, " sent=", k.sent)
		b = append(b, " first="...)
		b = append(b, unixTime(k.first)...)
		b = append(b, " last="...)
		b = append(b, unixTime(k.last)...)
		for _, n := range k.topNames() {
			// Name then count after the last colon: a name has no
			// space (escaped \032), so fields split on spaces.
			b = append(b, " qname="...)
			b = bindfmt.AppendName(b, n.name)
			b = append(b, ':')
			b = strconv.AppendUint(b, n.count, 10)
		}
		e.Emit(s.Now, logsink.SevInfo, "statistics", b)
	}
	for _, n := range head(s.Names, summaryTop) {
		b := e.Buf()
		b = append(b, "name="...)
		b = bindfmt.AppendName(b, n.Key)
		b = appendUint(b, " queries=", n.Count)
		b = appendUint(b, " error=", n.Error)
		b = appendUint(b, " clients=", n.Value)
		e.Emit(s.Now, logsink.SevInfo, "statistics", b)
	}
	writeHuntSummary(e, s)
}

// head is s's first n elements (n <= 0: all).
func head[T any](s []T, n int) []T {
	if n > 0 && len(s) > n {
		return s[:n]
	}
	return s
}
