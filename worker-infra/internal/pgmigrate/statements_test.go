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
	}
	for stmt, want := range cases {
		assert.Equal(t, want, hasTopLevelSemicolon(stmt), stmt)
	}
}
