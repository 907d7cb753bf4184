// Package sanitize makes server-provided text safe to draw: workflow ids, failures,
// memo and heartbeat details can hold terminal escapes or bidi overrides that would
// repaint the screen, set the clipboard or disguise an id.
package sanitize

import (
	"strings"
	"unicode"
)

// Text drops C0 and C1 control characters (ESC, CR, CSI 0x9b ...), DEL, bidi
// controls and other invisible format characters; tabs, newlines and the Unicode
// line and paragraph separators become spaces, so one value stays on one line.
func Text(s string) string {
	clean := true
	for _, r := range s {
		if unsafe(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		case r == unicode.ReplacementChar:
			b.WriteRune('?')
		case unsafe(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028 || r == 0x2029:
		return true // line and paragraph separators: a terminal may break the line
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidi embeddings, overrides, isolates and marks
	case r == unicode.ReplacementChar:
		return true // invalid UTF-8 decodes to this; show it as '?'
	case unicode.Is(unicode.Cf, r) && r != 0x200d:
		return true // other invisible format characters (zero-width joiner kept for emoji)
	}
	return false
}
