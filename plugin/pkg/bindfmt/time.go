package bindfmt

import "time"

const months = "JanFebMarAprMayJunJulAugSepOctNovDec"

// AppendTime appends t as BIND's file channels print it with print-time,
// in t's location and to the millisecond: "21-Nov-2026 05:13:46.800".
func AppendTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	b = append2(b, day)
	b = append(b, '-')
	b = append(b, months[3*(month-1):3*month]...)
	b = append(b, '-')
	b = append4(b, year)
	b = append(b, ' ')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, min)
	b = append(b, ':')
	b = append2(b, sec)
	b = append(b, '.')
	return appendMillis(b, t)
}

func appendMillis(b []byte, t time.Time) []byte {
	ms := t.Nanosecond() / int(time.Millisecond)
	return append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

// AppendPrefix appends a BIND file channel's print-time, print-category and
// print-severity prefix, the form fail2ban and other tools read.
func AppendPrefix(b []byte, t time.Time, category, severity string) []byte {
	return appendCategory(AppendTime(b, t), category, severity)
}

func appendCategory(b []byte, category, severity string) []byte {
	b = append(b, ' ')
	b = append(b, category...)
	b = append(b, ": "...)
	b = append(b, severity...)
	return append(b, ": "...)
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10%10), byte('0'+v%10))
}

func append4(b []byte, v int) []byte {
	if v < 0 || v > 9999 {
		v = 0
	}
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// TimeCache appends as AppendTime does, reformatting the date and second only
// when they change. Not safe for concurrent use.
type TimeCache struct {
	sec  int64
	loc  *time.Location
	text []byte // "21-Nov-2026 05:13:46." for sec in loc
}

// AppendTime appends t like the package's AppendTime.
func (c *TimeCache) AppendTime(b []byte, t time.Time) []byte {
	if sec := t.Unix(); sec != c.sec || t.Location() != c.loc || c.text == nil {
		c.text = AppendTime(c.text[:0], t.Truncate(time.Second))
		c.text = c.text[:len(c.text)-3] // keep the dot, drop "000"
		c.sec, c.loc = sec, t.Location()
	}
	return appendMillis(append(b, c.text...), t)
}

// AppendPrefix appends the file-channel prefix as the package's AppendPrefix does.
func (c *TimeCache) AppendPrefix(b []byte, t time.Time, category, severity string) []byte {
	return appendCategory(c.AppendTime(b, t), category, severity)
}
