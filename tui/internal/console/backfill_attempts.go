package console

// The grid's attempts panel: for the failure group selected in the failures block,
// each of its partitions with every attempt's error, the last one's included, so
// "failed after 3 attempts" also says whether all three failed alike.

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"

	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// attemptsKey opens and closes the attempts of the selected failure group.
var attemptsKey = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "each attempt's error"))

// attemptLines are the panel's lines for group g: a partition's line, then one per
// attempt whose error is known (attempts that lost their worker left none).
func attemptLines(g failureGroup) []string {
	var out []string
	for _, f := range g.failures {
		out = append(out, fmt.Sprintf("%s · %s", sanitize.Text(f.Partition.Key), attempts(f.Attempts)))
		for _, a := range f.AttemptErrors {
			out = append(out, fmt.Sprintf("  #%d %s", a.Attempt, present.OneLine(a.Error)))
		}
		out = append(out, fmt.Sprintf("  #%d (last) %s", f.Attempts, present.OneLine(f.Error)))
	}
	return out
}

// attemptsView is the panel in place of the grid and its failures block, cut to
// the height left with a line saying how much more there is.
func (v *backfillView) attemptsView(e *env) []string {
	groups := v.failureGroups()
	if len(groups) == 0 {
		return []string{e.st.Dim.Render(fit("no failed partition listed", v.width))}
	}
	g := groups[v.failOffset]
	out := []string{e.st.Bad.Render(fit(fmt.Sprintf("ATTEMPTS · %s× %s · e/esc: the grid", present.Count(g.count), present.OneLine(g.message)), v.width))}
	lines := attemptLines(g)
	room := max(1, v.height-3)
	if len(lines) > room {
		more := len(lines) - (room - 1)
		lines = append(lines[:room-1], e.st.Dim.Render(fmt.Sprintf("… %d more lines: matih backfill %s -o json", more, v.id)))
	}
	for _, l := range lines {
		out = append(out, fit(l, v.width))
	}
	return out
}

// selectedMark marks the failure group the attempts panel would open.
func selectedMark(selected bool) string {
	if selected {
		return "›"
	}
	return " "
}
