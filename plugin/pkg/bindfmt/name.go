package bindfmt

// AppendName appends a presentation-form name as BIND logs it: no trailing
// dot, case kept, miekg's escapes decoded and re-escaped BIND's way (\DDD for
// bytes outside printable ASCII) so a line stays one line and parses back.
func AppendName(b []byte, name string) []byte {
	if name == "" || name == "." {
		return append(b, '.')
	}
	// Fast path: nothing to decode or escape (the common case). Dots are
	// separators here: an escaped one comes with a backslash.
	plain := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= 0x20 || c >= 0x7f || c != '.' && special(c) {
			plain = false
			break
		}
	}
	if plain {
		if name[len(name)-1] == '.' {
			name = name[:len(name)-1]
		}
		return append(b, name...)
	}
	n := len(name)
	if n > 1 && name[n-1] == '.' && !EscapedAt(name, n-1) {
		n-- // the trailing dot of a fully qualified name
	}
	for i := 0; i < n; i++ {
		c := name[i]
		switch {
		case c == '.':
			b = append(b, '.') // a label separator
			continue
		case c == '\\':
			c, i = unescape(name, i)
		}
		b = appendByte(b, c)
	}
	return b
}

// appendByte appends one byte of a label, escaped as AppendName does.
func appendByte(b []byte, c byte) []byte {
	switch {
	case c <= 0x20 || c >= 0x7f:
		return append(b, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
	case special(c):
		return append(b, '\\', c)
	}
	return append(b, c)
}

// special reports whether BIND escapes c with a backslash in a label.
func special(c byte) bool {
	switch c {
	case '"', '(', ')', '.', ';', '\\', '@', '$':
		return true
	}
	return false
}

// unescape decodes the escape at name[i] == '\\', returning the byte and its last index.
func unescape(name string, i int) (byte, int) {
	if i+3 < len(name) && isDigit(name[i+1]) && isDigit(name[i+2]) && isDigit(name[i+3]) {
		v := int(name[i+1]-'0')*100 + int(name[i+2]-'0')*10 + int(name[i+3]-'0')
		if v <= 0xff {
			return byte(v), i + 3
		}
	}
	if i+1 < len(name) {
		return name[i+1], i + 1
	}
	return '\\', i // dangling backslash
}

// EscapedAt reports whether name[i] follows an odd number of backslashes.
func EscapedAt(name string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && name[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
