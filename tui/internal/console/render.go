package console

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
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

// compactID shortens a workflow id for the table: fractional seconds go, and when it is
// still too long the start (pipeline name) and the end (time of day) are kept.
func compactID(id string, width int) string {
	if i := strings.LastIndexByte(id, '.'); i > 0 && len(id)-i == 7 && strings.Trim(id[i+1:], "0123456789") == "" {
		id = id[:i]
	}
	r := []rune(id)
	if len(r) <= width || width < 12 {
		return middle(id, width)
	}
	tail := 8
	return string(r[:width-tail-1]) + "…" + string(r[len(r)-tail:])
}
