package namedconf

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: any input parses or fails with a FILE:LINE error inside the
// input's lines; never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"options { directory \"/x\"; recursion yes; allow-recursion { !10.0.0.1; { 10/8; key k; }; any; }; };",
		"acl a { 1.2.3.4; };\nzone \"z\" IN { type primary; file \"db\"; allow-transfer { a; }; };",
		"logging { channel c { file \"f\" versions 3 size 1m; print-time yes; }; category queries { c; }; };",
		"view v { match-clients { any; }; zone \"x\" { type stub; masters { 1.2.3.4 port 53 key \"k\"; }; }; };",
		"/* c */ # c\n// c\nkey \"k\" { algorithm hmac-sha256; secret \"a\\\"b\"; };",
		"options { recursion yes\n allow-query { any; }; };",
		"controls { inet 127.0.0.1 port 953 allow { localhost; } keys { \"rndc\"; }; };",
		"include \"/nonexistent/x.conf\";",
		"}", "{", "\"", "/*", "!", ";;;", "a b c { d { e { f; }; }; }; };",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		_, err := ParseString("fuzz.conf", text)
		if err == nil {
			return
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("error without a position: %v", err)
		}
		lines := strings.Count(text, "\n") + 1
		if strings.HasPrefix(pe.Pos.File, "fuzz.conf") && (pe.Pos.Line < 1 || pe.Pos.Line > lines) {
			t.Fatalf("line %d outside the input's %d lines: %v", pe.Pos.Line, lines, err)
		}
		if pe.Msg == "" {
			t.Fatalf("empty message at %s", pe.Pos)
		}
	})
}
