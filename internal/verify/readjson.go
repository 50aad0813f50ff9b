package verify

import (
	"encoding/json"
	"fmt"
)

// jsonRecord holds the fields of a corebind querylog JSON line that a replay
// needs (plugin/querylog README, "JSON fields").
type jsonRecord struct {
	Type        string  `json:"type"`
	ClientIP    string  `json:"client_ip"`
	Proto       string  `json:"proto"`
	QName       *string `json:"qname"`
	QType       *string `json:"qtype"`
	QClass      string  `json:"qclass"`
	RD          bool    `json:"rd"`
	CD          bool    `json:"cd"`
	DO          bool    `json:"do"`
	EDNSVersion *uint8  `json:"edns_version"`
	BufSize     uint16  `json:"edns_bufsize"`
}

// parseJSONLine reads one querylog JSON line. skip is true for records that
// are not queries (e.g. "dropped" notices, summaries).
func parseJSONLine(line string) (q Query, client string, skip bool, err error) {
	var r jsonRecord
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return q, "", false, fmt.Errorf("bad JSON: %v", err)
	}
	if r.Type != "query" {
		return q, "", true, nil
	}
	if r.QName == nil || r.QType == nil {
		return q, "", false, fmt.Errorf(`query record without "qname" or "qtype"`)
	}
	if q.Name, err = parseName(*r.QName); err != nil {
		return q, "", false, err
	}
	if q.Type, err = parseType(*r.QType); err != nil {
		return q, "", false, err
	}
	q.Class = 1 // IN
	if r.QClass != "" {
		if q.Class, err = parseClass(r.QClass); err != nil {
			return q, "", false, err
		}
	}
	q.RD, q.CD, q.DO = r.RD, r.CD, r.DO
	if r.EDNSVersion != nil {
		q.EDNS, q.EDNSVersion, q.BufSize = true, *r.EDNSVersion, r.BufSize
	}
	q.TCP = r.Proto == "tcp"
	return q, r.ClientIP, false, nil
}
