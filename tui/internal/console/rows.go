package console

import (
	"time"

	"github.com/matih/ops/tui/internal/data"
)

// How loaded rows and a refreshed newest page come together. Visibility lists runs in
// one order: running ones first, then by close time, newest first; within those by
// start time, newest first; then by run id. The newest page is the truth for the part
// of that order it covers; rows older than its last row are kept as paged in.

// rowKey identifies a run across refreshes.
func rowKey(r data.Row) string { return r.WorkflowID + "\x00" + r.RunID }

// farFuture stands for "not closed" so running runs sort first.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// after tells whether a comes after b in visibility's order.
func after(a, b data.Row) bool {
	ca, cb := farFuture, farFuture
	if a.ClosedAt != nil {
		ca = *a.ClosedAt
	}
	if b.ClosedAt != nil {
		cb = *b.ClosedAt
	}
	switch {
	case !ca.Equal(cb):
		return ca.Before(cb)
	case !a.StartedAt.Equal(b.StartedAt):
		return a.StartedAt.Before(b.StartedAt)
	}
	return a.RunID > b.RunID
}

// mergeNewest lays the newest page over the loaded rows. Rows the page covers are
// replaced by it (so a run that left the tab goes, and one that changed shows its new
// state); rows after the page's last one stay. A page with no next token is the
// whole list.
func mergeNewest(loaded []data.Row, p data.Page) []data.Row {
	if len(loaded) == 0 || len(p.Rows) == 0 || p.NextToken == nil {
		return p.Rows
	}
	inPage := make(map[string]bool, len(p.Rows))
	for _, r := range p.Rows {
		inPage[rowKey(r)] = true
	}
	last := p.Rows[len(p.Rows)-1]
	out := make([]data.Row, 0, len(loaded)+len(p.Rows))
	out = append(out, p.Rows...)
	for _, r := range loaded {
		if !inPage[rowKey(r)] && after(r, last) {
			out = append(out, r)
		}
	}
	return out
}

// appendNew adds a next page, skipping runs already loaded (a run can move in the
// order between two pages, as when it closes).
func appendNew(rows, page []data.Row) []data.Row {
	have := make(map[string]bool, len(rows))
	for _, r := range rows {
		have[rowKey(r)] = true
	}
	for _, r := range page {
		if !have[rowKey(r)] {
			rows = append(rows, r)
			have[rowKey(r)] = true
		}
	}
	return rows
}
