package chaosmask

import (
	"strings"
	"unicode/utf8"
)

// action is what chaosmask does with a CH-class query it answers itself.
type action uint8

const (
	actNone   action = iota // NOERROR with no records: BIND's `version none`
	actRefuse               // REFUSED, with EDE 18 (Prohibited) when the query had EDNS
	actText                 // a TXT answer with the configured text
)

// actionNames are the actions' metric labels and Corefile keywords.
var actionNames = [...]string{actNone: "none", actRefuse: "refuse", actText: "text"}

func (a action) String() string { return actionNames[a] }

// nameOther is the index of any other CH name, after the five identity names.
const nameOther = 5

// nameLabels are the identity names without the final dot, in index order,
// then "other": the values of the metric's name label.
var nameLabels = [nameOther + 1]string{"version.bind", "version.server", "hostname.bind", "id.server", "authors.bind", "other"}

// nameOptions are the options that set the reply of each identity name.
var nameOptions = [nameOther]string{"version", "version", "hostname", "id", "authors"}

// nameIndex returns the index of the fully qualified qname among the identity
// names, ignoring case, or nameOther. It does not allocate.
func nameIndex(qname string) int {
	for i, n := range nameLabels[:nameOther] {
		if len(qname) == len(n)+1 && qname[len(n)] == '.' && strings.EqualFold(qname[:len(n)], n) {
			return i
		}
	}
	return nameOther
}

// reply is the configured answer for one identity name, or for the others.
type reply struct {
	action action
	// txt holds, for actText, one TXT record per element, its text already
	// split into character-strings of at most 255 bytes and escaped the way
	// miekg/dns packs them. Shared by every answer: never modified.
	txt [][]string
}

// maxText bounds one TEXT. Far above any real version string, it keeps a
// typo (a pasted file) from turning CH answers into an amplifier.
const maxText = 4096

// splitText cuts text into escaped character-strings of at most 255 bytes,
// keeping valid UTF-8 sequences whole; empty text is one empty string.
func splitText(text string) []string {
	if text == "" {
		return []string{""}
	}
	valid := utf8.ValidString(text)
	var out []string
	for len(text) > 0 {
		n := min(len(text), 255)
		if valid {
			for n < len(text) && !utf8.RuneStart(text[n]) {
				n--
			}
		}
		out = append(out, strings.ReplaceAll(text[:n], `\`, `\\`))
		text = text[n:]
	}
	return out
}
