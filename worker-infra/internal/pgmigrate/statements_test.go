package pgmigrate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHiddenSecondStatementsAreFound(t *testing.T) {
	cases := map[string]bool{
		"ALTER TABLE t ADD COLUMN c int":                            false,
		"ALTER TABLE t ADD COLUMN c int; DROP TABLE x":              true,
		"ALTER TABLE t ADD COLUMN c text DEFAULT ';'":               false,
		"ALTER TABLE t ADD COLUMN c int -- ; comment":               false,
		"ALTER TABLE t ADD COLUMN c int /* ' */ ; DROP TABLE x":     true,
		"ALTER TABLE t ADD COLUMN c int /* a /* nested; */ b */":    false,
		"COMMENT ON TABLE t IS $$x; y$$":                            false,
		"ALTER TABLE t ADD COLUMN c int /* '; */ ; DROP TABLE x --": true,
		// Escape strings: \' does not close them.
		`UPDATE t SET note = E'\''; DROP TABLE customers; --'`:  true,
		`UPDATE t SET note = e'a\\'; DROP TABLE customers; --'`: true,
		`UPDATE t SET note = E'it''s; fine'`:                    false,
		`UPDATE t SET note = 'E'; DROP TABLE customers`:         true,
		`UPDATE t SET name = 'x' WHERE code = 'E'`:              false,
		// Dollar tags may hold digits after the first character.
		`UPDATE t SET note = $a1$ ' $a1$; DROP TABLE customers; --'`: true,
		`COMMENT ON TABLE t IS $t_2$x; y$t_2$`:                       false,
	}
	for stmt, want := range cases {
		assert.Equal(t, want, hasTopLevelSemicolon(stmt), stmt)
	}
}
