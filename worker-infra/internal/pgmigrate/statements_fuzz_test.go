package pgmigrate

import (
	"strings"
	"testing"
)

// FuzzStatementChecker: the one-statement check never panics, a statement without
// any ';' is never said to hold two, and one that ends a plain statement with
// "; DROP TABLE x" always is.
func FuzzStatementChecker(f *testing.F) {
	for _, s := range []string{"ALTER TABLE t ADD COLUMN c int", `UPDATE t SET n = E'\''; DROP TABLE c; --'`,
		"COMMENT ON TABLE t IS $a1$x;y$a1$", "ALTER TABLE t /* ; */ ADD c int", "UPDATE t SET a = 'x' -- ;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := hasTopLevelSemicolon(s)
		if got && !strings.Contains(s, ";") {
			t.Fatalf("found a ';' that is not there: %q", s)
		}
		_, _ = statementTarget(0, s)
		if !strings.ContainsAny(s, "'\"$-/\\;") && !hasTopLevelSemicolon(s+"; DROP TABLE x") {
			t.Fatalf("missed the second statement after %q", s)
		}
	})
}
