package sanitize

import (
	"testing"
	"unicode/utf8"
)

// FuzzText: whatever comes in, what comes out is valid UTF-8 with nothing that can
// act on a terminal, and sanitising it again changes nothing.
func FuzzText(f *testing.F) {
	for _, s := range []string{"plain", "wf-\x1b[2J", "\x9b31m", "a\u202eb", "l\u2028p", "\xff\xfe", "\x00\r\n\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Text(in)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q: %q", in, out)
		}
		for _, r := range out {
			if unsafe(r) {
				t.Fatalf("%U survived in %q (from %q)", r, out, in)
			}
		}
		if again := Text(out); again != out {
			t.Fatalf("not idempotent: %q then %q", out, again)
		}
	})
}
