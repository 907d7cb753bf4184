package console

// Rerunning a closed backfill's unfinished partitions from its grid.

import "github.com/matih/ops/tui/internal/rerun"

// rerunPlan is what a rerun of the backfill in view would take, as the dialog
// previews it, and whether there is one to offer.
func (v *backfillView) rerunPlan() (rerun.Plan, bool) {
	if v.doc == nil {
		return rerun.Plan{}, false
	}
	return rerun.PlanOf(*v.doc)
}
