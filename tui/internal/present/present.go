// Package present holds the few wording rules the command line and the console share,
// so that both say the same thing in the same words: one-line errors, empty values,
// what an action did, and how a destructive action is confirmed.
package present

import (
	"fmt"
	"strings"
	"time"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/sanitize"
)

// OneLine makes text one safe line: server text in it (ids, messages) is stripped of
// control and bidi characters, and runs of whitespace become one space.
func OneLine(s string) string {
	return strings.Join(strings.Fields(sanitize.Text(s)), " ")
}

// Dash stands in for an empty value in a table.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// PastTense says what an action did: approved, rejected, cancelled, terminated.
func PastTense(action string) string {
	switch action {
	case "cancel":
		return "cancelled"
	case "":
		return ""
	}
	if strings.HasSuffix(action, "e") {
		return action + "d"
	}
	return action + "ed"
}

// ConfirmMatches accepts the full workflow id or its last 6 characters, as drawn: the
// sanitised id, counted in characters, not bytes.
func ConfirmMatches(id, typed string) bool {
	if typed == "" {
		return false
	}
	shown := []rune(sanitize.Text(id))
	if typed == string(shown) {
		return true
	}
	return len(shown) >= 6 && typed == string(shown[len(shown)-6:])
}

// Coarse renders a duration that a list shows for every row and every refresh: to
// the second under a minute, to the minute above ("3m", "2h 5m"). A minute-precise
// duration changes once a minute, so an idle console redraws a row (and sends its
// bytes over SSH) once a minute, not at every refresh.
func Coarse(d time.Duration) string {
	if d < time.Minute {
		return status.FormatDuration(d)
	}
	d = d.Truncate(time.Minute)
	if h, m := int(d.Hours()), int(d.Minutes())%60; h > 0 {
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// Count writes n with thousands separators: 100,000 reads at a glance.
func Count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
