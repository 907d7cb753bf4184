package present

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPastTense(t *testing.T) {
	for in, want := range map[string]string{"approve": "approved", "reject": "rejected", "cancel": "cancelled", "terminate": "terminated"} {
		assert.Equal(t, want, PastTense(in))
	}
}

func TestConfirmMatches(t *testing.T) {
	id := "pipeline-sales-2026-02-12T06:00:00Z-000000"
	assert.True(t, ConfirmMatches(id, id))
	assert.True(t, ConfirmMatches(id, "000000"))
	assert.False(t, ConfirmMatches(id, "00000"))
	assert.False(t, ConfirmMatches(id, ""))
	assert.False(t, ConfirmMatches("abc", "abc1"))
	hostile := "pipeline-x-2026\x1b[2J\n-ünï✓é"
	assert.True(t, ConfirmMatches(hostile, "[2J -ünï✓é"[len("[2J "):]), "the last 6 characters as drawn")
	assert.True(t, ConfirmMatches(hostile, "pipeline-x-2026[2J -ünï✓é"), "the whole id as drawn")
	assert.False(t, ConfirmMatches(hostile, hostile[len(hostile)-6:]), "not the last 6 raw bytes")
}

func TestOneLineAndDash(t *testing.T) {
	assert.Equal(t, "a b c", OneLine("a\n b\t\tc"))
	assert.Equal(t, "-", Dash(""))
	assert.Equal(t, "x", Dash("x"))
}

func TestErrorsPrintAsOneSafeLine(t *testing.T) {
	assert.Equal(t, "not found: workflow evil-[2J-x gone", OneLine("not found: workflow evil-\x1b[2J-x\r\n gone"))
	assert.Equal(t, "a b", OneLine("a\u202e b\u009b"))
}
