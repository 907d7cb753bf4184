package console

// The backfill grid's failure block: failed partitions grouped by their normalised
// error, so a hundred partitions failing alike read as one line with a count.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// failureGroup is failed partitions with one normalised error.
type failureGroup struct {
	message  string
	keys     []string
	count    int
	attempts int // the most any of its partitions took
	failures []contract.PartitionFailure
}

func (v *backfillView) failureGroups() []failureGroup { return v.groups }

// groupFailures groups the listed failures (the first 100) by normalised error,
// largest first.
func groupFailures(p *status.PartitionSummary) []failureGroup {
	if p == nil {
		return nil
	}
	by := map[string]*failureGroup{}
	var order []string
	for _, f := range p.Failures {
		m := data.NormalizeMessage(f.Error)
		g, ok := by[m]
		if !ok {
			g = &failureGroup{message: m}
			by[m] = g
			order = append(order, m)
		}
		g.count++
		g.keys = append(g.keys, f.Partition.Key)
		g.attempts = max(g.attempts, f.Attempts)
		g.failures = append(g.failures, f)
	}
	out := make([]failureGroup, 0, len(order))
	for _, m := range order {
		out = append(out, *by[m])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].count > out[j].count })
	return out
}

func (v *backfillView) failuresBlock(e *env) []string {
	groups := v.failureGroups()
	if len(groups) == 0 {
		return nil
	}
	p := v.doc.Partitions
	head := fmt.Sprintf("FAILED %s partitions", present.Count(p.Failed))
	if len(p.Failures) < p.Failed {
		head += fmt.Sprintf(" (first %d listed)", len(p.Failures))
	}
	out := []string{e.st.Bad.Render(fit(head+" · ↑/↓ scroll · e: each attempt of ›", v.width))}
	for i, g := range groups[v.failOffset:min(len(groups), v.failOffset+4)] {
		keys := strings.Join(g.keys[:min(3, len(g.keys))], " ")
		if len(g.keys) > 3 {
			keys += " …"
		}
		out = append(out, fit(fmt.Sprintf(" %s%4d× %s · %s · %s", selectedMark(i == 0), g.count, present.OneLine(g.message), attempts(g.attempts), sanitize.Text(keys)), v.width))
	}
	return out
}

// attempts says how often a failed partition was tried before it was given up.
func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}
