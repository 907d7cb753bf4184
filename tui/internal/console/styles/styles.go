// Package styles builds the console's lipgloss styles once. With NO_COLOR (or a
// terminal without colour) every style degrades to plain text plus bold/reverse, so
// nothing relies on colour to carry meaning.
package styles

import "github.com/charmbracelet/lipgloss"

// Styles is every style the console draws with.
type Styles struct {
	Title, TabActive, Tab, Header, Selected, Row, Dim   lipgloss.Style
	OK, Warn, Bad, Banner, Flash, FlashErr, Dialog, Key lipgloss.Style
	Bar, BarEmpty                                       lipgloss.Style
	NoColor                                             bool
}

// New returns the styles for this process's terminal; noColor drops every colour.
func New(noColor bool) Styles { return NewWith(nil, noColor) }

// NewWith returns the styles drawn by r (one SSH session's terminal; nil is this
// process's); noColor drops every colour.
func NewWith(r *lipgloss.Renderer, noColor bool) Styles {
	c := func(s lipgloss.Style, fg string) lipgloss.Style {
		if noColor {
			return s
		}
		return s.Foreground(lipgloss.ANSIColor(ansi(fg)))
	}
	base := lipgloss.NewStyle()
	if r != nil {
		base = r.NewStyle()
	}
	s := Styles{
		Title:     c(base.Bold(true), "cyan"),
		TabActive: base.Bold(true).Reverse(true),
		Tab:       base,
		Header:    base.Bold(true),
		Selected:  base.Reverse(true),
		Row:       base,
		Dim:       c(base, "gray"),
		OK:        c(base, "green"),
		Warn:      c(base.Bold(true), "yellow"),
		Bad:       c(base.Bold(true), "red"),
		Banner:    c(base.Bold(true).Reverse(true), "yellow"),
		Flash:     c(base, "green"),
		FlashErr:  c(base.Bold(true), "red"),
		Dialog:    base.Border(lipgloss.NormalBorder()).Padding(0, 1),
		Key:       base.Bold(true),
		Bar:       c(base, "green"),
		BarEmpty:  c(base, "gray"),
		NoColor:   noColor,
	}
	return s
}

// ansi maps the few colour names used here onto the 16 basic ANSI colours, so the
// console degrades cleanly on 16-colour terminals.
func ansi(name string) uint {
	switch name {
	case "red":
		return 1
	case "green":
		return 2
	case "yellow":
		return 3
	case "cyan":
		return 6
	case "gray":
		return 8
	}
	return 7
}

// Status picks the style for a workflow or activity status.
func (s Styles) Status(status string) lipgloss.Style {
	switch status {
	case "COMPLETED":
		return s.OK
	case "FAILED", "TERMINATED", "TIMED_OUT", "CANCELED", "CANCELLED":
		return s.Bad
	case "AWAITING_APPROVAL", "RUNNING":
		return s.Warn
	}
	return s.Row
}
