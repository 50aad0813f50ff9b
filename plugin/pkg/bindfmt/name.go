package bindfmt

// AppendName appends a domain name the way BIND prints it in logs: without
// the trailing dot (the root as "."), case kept, and escaped so that the
// text stays on one line and parses back to the same name:
//
//   - `"` `(` `)` `.` `;` `\` `@` `$` inside a label get a backslash;
//   - bytes up to 0x20 (space included) and from 0x7f up are \DDD.
//
// name is in presentation form, as miekg/dns holds it: escapes in it (`\.`,
// `\ `, `\032`) are decoded first and re-escaped BIND's way, so
// "a\ b.example." (miekg) is printed "a\032b.example" (BIND). A dangling
// backslash at the end of name is printed as `\\`.
func AppendName(b []byte, name string) []byte {
	if name == "" || name == "." {
		return append(b, '.')
	}
	// Fast path: nothing to decode or escape (the common case).
	plain := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= 0x20 || c >= 0x7f || special(c) {
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
	if n > 1 && name[n-1] == '.' && !escapedAt(name, n-1) {
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

// unescape decodes the escape starting at name[i] == '\\' and returns the
// byte and the index of its last character.
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

// escapedAt reports whether name[i] is preceded by an odd number of
// backslashes, i.e. is itself escaped.
func escapedAt(name string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && name[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
