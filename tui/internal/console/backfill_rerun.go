package console

// Rerunning a closed backfill's unfinished partitions from its grid: the preview
// the dialog shows, and the new run it starts.

import (
	"context"
	"fmt"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/data"
)

// rerunPlan is what a rerun of the backfill in view would take, as the dialog
// previews it, and whether there is a rerun to offer: the backfill has closed and
// left partitions failed or never run.
type rerunPlan struct {
	reprocess       string // failed, or missing when some never ran (it takes the failed too)
	failed, missing int
	done, skipped   int
	firstFailedKeys []string
}

func (v *backfillView) rerunPlan() (rerunPlan, bool) {
	if v.doc == nil || v.doc.Partitions == nil || v.doc.Status == status.WorkflowRunning {
		return rerunPlan{}, false
	}
	p := v.doc.Partitions
	missing := p.Total - p.Done - p.Skipped - p.Failed
	plan := rerunPlan{reprocess: contract.ReprocessFailed, failed: p.Failed, missing: missing, done: p.Done, skipped: p.Skipped}
	if missing > 0 {
		plan.reprocess = contract.ReprocessMissing
	}
	for _, f := range p.Failures[:min(3, len(p.Failures))] {
		plan.firstFailedKeys = append(plan.firstFailedKeys, f.Partition.Key)
	}
	return plan, p.Failed+missing > 0
}

// preview is the plan in the dialog's words.
func (r rerunPlan) preview() string {
	s := fmt.Sprintf("a new run (reprocess: %s) takes %s failed", r.reprocess, count(r.failed))
	if r.missing > 0 {
		s += fmt.Sprintf(" and %s never run", count(r.missing))
	}
	s += fmt.Sprintf(" partitions; %s done stay", count(r.done+r.skipped))
	if len(r.firstFailedKeys) > 0 {
		s += fmt.Sprintf(" (failed: %s", r.firstFailedKeys[0])
		for _, k := range r.firstFailedKeys[1:] {
			s += ", " + k
		}
		if r.failed > len(r.firstFailedKeys) {
			s += ", …"
		}
		s += ")"
	}
	return s
}

// rerunBackfill starts the rerun of backfill id: its own input (the chain's
// latest run, which carries the original settings), without what the workflow
// carried over, with the plan's reprocess mode, under a new id.
func rerunBackfill(ctx context.Context, src data.Source, id, reprocess string, now time.Time) (string, error) {
	cfg, err := src.BackfillInput(ctx, id)
	if err != nil {
		return "", err
	}
	cfg.Carry, cfg.Reprocess = nil, reprocess
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	return src.Start(ctx, api.BackfillStart(cfg, now))
}
