package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/matih/ops/tui/internal/console/styles"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// Drawing of the workflows table; only the rows on screen are rendered.

func (l *listView) view(e *env) string {
	var b strings.Builder
	b.WriteString(l.tabsLine(e) + "\n")
	if l.warn {
		// Runs on a queue nobody polls never move: a line of its own, above everything.
		b.WriteString(e.st.Bad.Render(fit("NO WORKER polling "+sanitize.Text(strings.Join(e.idleQueues, ", "))+": their runs wait", l.width)) + "\n")
	}
	b.WriteString(l.infoLine(e) + "\n")
	cols := l.columns()
	b.WriteString(e.st.Header.Render(pad(cols.header(), l.width)) + "\n")
	if len(l.visible) == 0 {
		msg := "loading…"
		if l.loaded {
			msg = "no workflows here (tab switches status, : changes the query)"
		}
		b.WriteString(e.st.Dim.Render(msg))
		return b.String()
	}
	end := min(len(l.visible), l.offset+l.rowsShown())
	now := e.opts.Now()
	for i := l.offset; i < end; i++ {
		line := cols.row(l.rows[l.visible[i]], now, i == l.cursor, e.st)
		if i == l.cursor {
			line = e.st.Selected.Render(pad(line, l.width))
		}
		b.WriteString(line)
		if i < end-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// shortTabName is a tab's name when the full names do not fit the width.
var shortTabName = map[string]string{"awaiting approval": "awaiting", "failed/cancelled": "failed"}

// tabsLine draws the tabs with their counts, compacted (12k) and with short names
// when the full line would not fit, so every tab, "all" included, stays on screen.
func (l *listView) tabsLine(e *env) string {
	line := l.tabs(e, false)
	if lipgloss.Width(line) > l.width {
		line = l.tabs(e, true)
	}
	return fit(line, l.width)
}

func (l *listView) tabs(e *env, short bool) string {
	parts := make([]string, len(data.Tabs))
	for i, t := range data.Tabs {
		n := "…"
		if l.counts != nil {
			n = compactCount(l.counts[i])
			if l.countsStale {
				n = "~" + n // the last counts, which could not be read again
			}
		}
		name := t.Name
		if s, ok := shortTabName[name]; ok && short {
			name = s
		}
		if i == l.tab {
			// Brackets mark the active tab where colour and reverse video are absent
			// (NO_COLOR, dumb terminals).
			parts[i] = e.st.TabActive.Render("[" + name + " " + n + "]")
		} else {
			parts[i] = e.st.Tab.Render(" " + name + " " + n + " ")
		}
	}
	return strings.Join(parts, "|")
}

// compactCount writes counts in at most four characters: 999, 1.2k, 12k, 123k, 1.2M.
func compactCount(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprint(n)
	case n < 10_000:
		return fmt.Sprintf("%.1fk", float64(n)/1000)
	case n < 1_000_000:
		return fmt.Sprintf("%dk", n/1000)
	case n < 10_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1_000_000)
	}
	return fmt.Sprintf("%dM", n/1_000_000)
}

func (l *listView) infoLine(e *env) string {
	switch l.mode {
	case modeFilter:
		return "/" + l.input.View()
	case modeQuery:
		return ":" + l.input.View()
	}
	if l.queryErr != "" {
		return e.st.Bad.Render(fit(l.queryErr+" (: to edit)", l.width))
	}
	var parts []string
	if l.rawQuery != "" {
		parts = append(parts, "query: "+sanitize.Text(l.rawQuery))
	}
	if l.filter != "" {
		parts = append(parts, fmt.Sprintf("filter %q: %d match", sanitize.Text(l.filter), len(l.visible)))
	}
	more := ""
	if l.next != nil {
		more = "+"
	}
	loaded := fmt.Sprintf("%d%s loaded", len(l.rows), more)
	if l.toEnd && l.counts != nil {
		loaded = fmt.Sprintf("loading to the end: %d of %d", len(l.rows), l.counts[l.tab])
	}
	if l.countsStale {
		loaded += " · counts stale"
	}
	parts = append(parts, loaded)
	if !l.fetchedAt.IsZero() {
		parts = append(parts, "fetched "+l.fetchedAt.Local().Format("15:04:05"))
	}
	info := strings.Join(parts, " · ")
	return e.st.Dim.Render(fit(info, l.width))
}

// columns sizes the table for the width: the id takes what is left; the quality
// score column, then the type column, appear when there is room for them.
type columns struct {
	id, typ int
	score   bool
}

func (l *listView) columns() columns {
	fixed := 2 + 10 + 1 + 17 + 1 + 11 + 1 + 5 + 1 + 8 + 1
	c := columns{id: max(12, l.width-fixed)}
	if l.width-fixed-6 >= 28 {
		c.score, c.id = true, l.width-fixed-6
	}
	if c.id-13 >= 24 {
		c.typ, c.id = 12, c.id-13
	}
	return c
}

func (c columns) header() string {
	h := "  " + pad("ID", c.id) + " "
	if c.typ > 0 {
		h += pad("TYPE", c.typ) + " "
	}
	if c.score {
		h += "SCORE "
	}
	return h + pad("STATUS", 10) + " " + pad("PHASE", 17) + " " + pad("PROGRESS", 11) + " " + pad("START", 5) + " " + "DURATION"
}

// row draws one workflow; status and phase are coloured except on the selected
// (reverse video) row, where nested styles would break the highlight.
func (c columns) row(r data.Row, now time.Time, selected bool, st styles.Styles) string {
	mark := "  "
	if selected {
		mark = "> "
	}
	s := mark + pad(compactID(sanitize.Text(r.WorkflowID), c.id), c.id) + " "
	if c.typ > 0 {
		s += pad(shortType(sanitize.Text(r.Type)), c.typ) + " "
	}
	if c.score {
		score := "  -  "
		if r.QualityScore != nil {
			score = fmt.Sprintf("%5.2f", *r.QualityScore)
		}
		s += score + " "
	}
	prog := pad("", 11)
	if r.Progress != nil {
		prog = bar(*r.Progress, 5)
	}
	end := now
	if r.ClosedAt != nil {
		end = *r.ClosedAt
	}
	started := r.StartedAt.Local().Format("15:04")
	if now.Sub(r.StartedAt) > 24*time.Hour {
		started = r.StartedAt.Local().Format("01-02")
	}
	stat, phase := pad(sanitize.Text(r.Status), 10), pad(sanitize.Text(present.Dash(r.Phase)), 17)
	if !selected {
		stat, phase = st.Status(r.Status).Render(stat), st.Status(r.Phase).Render(phase)
	}
	return s + stat + " " + phase + " " + pad(prog, 11) + " " + started + " " + coarse(end.Sub(r.StartedAt))
}

func shortType(t string) string {
	t = strings.TrimSuffix(t, "Workflow")
	return strings.TrimPrefix(t, "Data")
}
