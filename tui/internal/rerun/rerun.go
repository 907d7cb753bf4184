// Package rerun is the rerun of what a closed backfill left undone: the plan the
// console's dialog and `matih rerun --dry-run` preview, and the new run they start.
package rerun

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
)

// Plan is what a rerun would take: the failed partitions, or with reprocess
// missing those that never ran as well; the done and skipped ones stay.
type Plan struct {
	Reprocess       string   `json:"reprocess"`
	Failed          int      `json:"failed"`
	Missing         int      `json:"missing"`
	Done            int      `json:"done"`
	Skipped         int      `json:"skipped"`
	FirstFailedKeys []string `json:"firstFailedKeys"`
}

// PlanOf is the rerun of the backfill doc describes, and whether there is one to
// offer: the backfill has closed and left partitions failed or never run.
func PlanOf(doc status.Document) (Plan, bool) {
	if doc.Partitions == nil || doc.Status == status.WorkflowRunning {
		return Plan{}, false
	}
	p := doc.Partitions
	missing := p.Total - p.Done - p.Skipped - p.Failed
	plan := Plan{Reprocess: contract.ReprocessFailed, Failed: p.Failed, Missing: missing, Done: p.Done, Skipped: p.Skipped, FirstFailedKeys: []string{}}
	if missing > 0 {
		plan.Reprocess = contract.ReprocessMissing
	}
	for _, f := range p.Failures[:min(3, len(p.Failures))] {
		plan.FirstFailedKeys = append(plan.FirstFailedKeys, f.Partition.Key)
	}
	return plan, p.Failed+missing > 0
}

// Preview is the plan in words.
func (p Plan) Preview() string {
	s := fmt.Sprintf("a new run (reprocess: %s) takes %s failed", p.Reprocess, present.Count(p.Failed))
	if p.Missing > 0 {
		s += fmt.Sprintf(" and %s never run", present.Count(p.Missing))
	}
	s += fmt.Sprintf(" partitions; %s done stay", present.Count(p.Done+p.Skipped))
	if len(p.FirstFailedKeys) > 0 {
		s += " (failed: " + strings.Join(p.FirstFailedKeys, ", ")
		if p.Failed > len(p.FirstFailedKeys) {
			s += ", …"
		}
		s += ")"
	}
	return s
}

// Start starts the rerun of backfill id: its own input (the chain's latest run,
// which carries the original settings), without what the workflow carried over,
// with the plan's reprocess mode, under a new id. It returns that id.
func Start(ctx context.Context, src data.Source, id, reprocess string, now time.Time) (string, error) {
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
