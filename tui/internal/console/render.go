package console

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/matih/ops/tui/internal/present"
)

// fit cuts a (possibly styled) line to width cells.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if lipgloss.Width(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// pad cuts or pads plain text to exactly width cells.
func pad(s string, width int) string {
	s = fit(s, width)
	if w := lipgloss.Width(s); w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// middle keeps the start and the end of a long id, where workflow ids differ (the
// pipeline name and the timestamp).
func middle(s string, width int) string {
	r := []rune(s)
	if len(r) <= width || width < 5 {
		return fit(s, width)
	}
	head := (width - 1) / 2
	tail := width - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// padLines makes a block exactly n lines, each cut to width.
func padLines(block string, n, width int) string {
	lines := strings.Split(block, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// bar draws a progress bar in ASCII so it survives any terminal: "[###..] 60%".
func bar(p float64, cells int) string {
	if p < 0 {
		p = 0
	}
	if p > 1 {
		p = 1
	}
	full := int(p*float64(cells) + 0.5)
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", cells-full) + "]" + fmt.Sprintf("%3.0f%%", p*100)
}

// idTimestamp matches the UTC ISO timestamp the contract's workflow-id builders append.
var idTimestamp = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$`)

// compactID shortens a workflow id for the table. The trailing start timestamp goes
// (the START column shows it) so the pipeline name, which tells runs apart, fits.
func compactID(id string, width int) string {
	if loc := idTimestamp.FindStringIndex(id); loc != nil && loc[0] > 0 {
		id = id[:loc[0]]
	}
	return middle(id, width)
}

// coarse is present.Coarse: a duration to the second under a minute, to the minute
// above, so an idle console redraws a row once a minute.
func coarse(d time.Duration) string { return present.Coarse(d) }
