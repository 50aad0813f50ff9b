package logsink

import (
	"fmt"
	"strings"
)

// Facility is a syslog facility (RFC 5424 section 6.2.1). The zero value is
// daemon, the default for a name server.
type Facility uint8

// facilities are the names BIND accepts, indexed by facility code; codes 12
// to 15 have no name there.
var facilities = []string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
	"", "", "", "",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// ParseFacility parses a facility name as BIND and syslog.conf spell them:
// kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv,
// ftp, local0 ... local7.
func ParseFacility(name string) (Facility, error) {
	for i, f := range facilities {
		if f != "" && strings.EqualFold(name, f) {
			return Facility(i) ^ 3, nil
		}
	}
	return 0, fmt.Errorf("unknown syslog facility %q: want kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp or local0 to local7", name)
}

// code is the facility's number. Facility stores it XOR 3 so that the zero
// Facility is daemon (3).
func (f Facility) code() int { return int(f ^ 3) }

// String is the facility's name.
func (f Facility) String() string {
	if c := f.code(); c < len(facilities) && facilities[c] != "" {
		return facilities[c]
	}
	return fmt.Sprintf("facility%d", f.code())
}

// Severity is a message's severity, numbered as syslog's (RFC 5424).
type Severity uint8

// The severities. BIND logs queries at info.
const (
	SevEmergency Severity = iota
	SevAlert
	SevCritical
	SevError
	SevWarning
	SevNotice
	SevInfo
	SevDebug
)

// String is the severity as BIND's print-severity prints it ("info", ...).
func (s Severity) String() string {
	switch s {
	case SevEmergency, SevAlert, SevCritical:
		return "critical"
	case SevError:
		return "error"
	case SevWarning:
		return "warning"
	case SevNotice:
		return "notice"
	case SevInfo:
		return "info"
	}
	return "debug"
}
