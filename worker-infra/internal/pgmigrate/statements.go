package pgmigrate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/matih/ops/shared/contract"
)

// Statement forms a migration may use, each with the position of the table it
// changes. Anything else is refused: a migration changes exactly one declared table.
var forms = []*regexp.Regexp{
	regexp.MustCompile(`(?is)^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(` + nameRe + `)`),
	regexp.MustCompile(`(?is)^create\s+(?:unique\s+)?index\s+(?:if\s+not\s+exists\s+)?(?:` + nameRe + `\s+)?on\s+(?:only\s+)?(` + nameRe + `)`),
	regexp.MustCompile(`(?is)^comment\s+on\s+table\s+(` + nameRe + `)\s+is\s`),
	regexp.MustCompile(`(?is)^comment\s+on\s+column\s+(` + nameRe + `)\.(?:` + identRe + `)\s+is\s`),
	regexp.MustCompile(`(?is)^update\s+(?:only\s+)?(` + nameRe + `)\s+set\s`),
}

var renameRe = regexp.MustCompile(`(?is)^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?` + nameRe + `\s+(?:rename\s+to|set\s+schema)\s`)

const (
	identRe = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`
	nameRe  = identRe + `(?:\.` + identRe + `)?`
)

// statementTarget returns the table name a statement changes, as written.
func statementTarget(i int, stmt string) (string, error) {
	s := strings.TrimSpace(stmt)
	s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	if hasTopLevelSemicolon(s) {
		return "", contract.Invalid(fmt.Sprintf("statements[%d]", i), "one statement per entry (found ';' inside)")
	}
	if regexp.MustCompile(`(?is)^create\s+(?:unique\s+)?index\s+concurrently`).MatchString(s) {
		return "", contract.Invalid(fmt.Sprintf("statements[%d]", i), "no CREATE INDEX CONCURRENTLY: the migration runs in one transaction")
	}
	if renameRe.MatchString(s) {
		return "", contract.Invalid(fmt.Sprintf("statements[%d]", i), "no RENAME TO or SET SCHEMA of the table itself: backup and restore follow its name")
	}
	for _, re := range forms {
		if m := re.FindStringSubmatch(s); m != nil {
			return m[1], nil
		}
	}
	return "", contract.Invalid(fmt.Sprintf("statements[%d]", i),
		"ALTER TABLE, CREATE [UNIQUE] INDEX ... ON, COMMENT ON TABLE/COLUMN or UPDATE on the declared table, got %q", abbreviate(s))
}

// hasTopLevelSemicolon finds a ';' outside quotes, dollar quotes and comments. It
// only gives an early, friendly error: each statement runs through the extended
// protocol (execOne), where the server itself refuses a string of several commands.
func hasTopLevelSemicolon(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' && escapeStringStart(s, i):
			j, ok := escapeStringEnd(s, i+1)
			if !ok {
				return false
			}
			i = j
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return false
			}
			i += j + 1
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			// Block comments nest in PostgreSQL; a quote inside one means nothing.
			depth, j := 1, i+2
			for ; j < len(s) && depth > 0; j++ {
				switch {
				case strings.HasPrefix(s[j:], "/*"):
					depth, j = depth+1, j+1
				case strings.HasPrefix(s[j:], "*/"):
					depth, j = depth-1, j+1
				}
			}
			if depth > 0 {
				return false
			}
			i = j - 1
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return false
			}
			i += j
		case c == '$':
			if tag := dollarTagRe.FindString(s[i:]); tag != "" {
				j := strings.Index(s[i+len(tag):], tag)
				if j < 0 {
					return false
				}
				i += len(tag) + j + len(tag) - 1
			}
		case c == ';':
			return true
		}
	}
	return false
}

// dollarTagRe is a dollar-quote tag: $$ or $tag$, the tag an identifier without $.
var dollarTagRe = regexp.MustCompile(`^\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$`)

// escapeStringStart tells whether the quote at i opens an E'...' string: an E or e
// right before it that is not the end of a longer word.
func escapeStringStart(s string, i int) bool {
	if i == 0 || (s[i-1] != 'E' && s[i-1] != 'e') {
		return false
	}
	return i == 1 || !isWordByte(s[i-2])
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// escapeStringEnd returns the index of the quote that closes an E'...' string whose
// text starts at i: a backslash escapes the next byte, and ” is a quote.
func escapeStringEnd(s string, i int) (int, bool) {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			return i, true
		}
	}
	return 0, false
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
