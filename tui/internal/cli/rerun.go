package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/rerun"
	"github.com/matih/ops/tui/internal/sanitize"
)

// defaultRerunReason is the audit log's reason when none is given.
const defaultRerunReason = "rerun with matih rerun"

// RerunResult is `matih rerun ID -o json`: the plan, and the new backfill's id
// unless it was a dry run or there was nothing to rerun.
type RerunResult struct {
	WorkflowID string     `json:"workflowId"`
	Plan       rerun.Plan `json:"plan"`
	Nothing    bool       `json:"nothingToRerun,omitempty"`
	Started    string     `json:"started,omitempty"`
}

// rerunCmd is the console's `R` in the grid, for scripts: the same plan, the same
// new run, the same audit line.
func (a *App) rerunCmd() *cobra.Command {
	var reason string
	var dryRun bool
	cmd := &cobra.Command{Use: "rerun ID [--dry-run] [--reason R]",
		Short: "rerun what a closed backfill left undone (failed and never-run partitions) as a new backfill; --dry-run previews it", Args: oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, id := cmd.Context(), args[0]
			src, err := a.Source(ctx)
			if err != nil {
				return err
			}
			doc, err := src.Status(ctx, id, "")
			if err != nil {
				return err
			}
			if doc.Partitions == nil {
				return usagef("%s: no partition state: not a %s, or its workers never reported one", id, contract.DataBackfillWorkflow)
			}
			if doc.Status == status.WorkflowRunning {
				return usagef("%s is still running: a rerun takes what a closed backfill left undone; wait for its end, or cancel it", id)
			}
			plan, ok := rerun.PlanOf(doc)
			res := RerunResult{WorkflowID: id, Plan: plan, Nothing: !ok}
			if !ok || dryRun {
				return a.printRerun(res)
			}
			if strings.TrimSpace(reason) == "" {
				reason = defaultRerunReason
			}
			err = a.act(ctx, "rerun", id, reason, func(s data.Source) (err error) {
				res.Started, err = rerun.Start(ctx, s, id, plan.Reprocess, time.Now())
				return err
			})
			if err != nil {
				return err
			}
			return a.printRerun(res)
		}}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what the rerun would take; start nothing")
	cmd.Flags().StringVarP(&reason, "reason", "r", "", "why (recorded in the audit log; default: "+defaultRerunReason+")")
	return cmd
}

func (a *App) printRerun(res RerunResult) error {
	if a.Output == "json" {
		return a.json(res)
	}
	switch {
	case res.Nothing:
		fmt.Fprintln(a.Out, "nothing to rerun: every partition of "+sanitize.Text(res.WorkflowID)+" is done or skipped")
	case res.Started == "":
		fmt.Fprintln(a.Out, "dry run: "+sanitize.Text(res.Plan.Preview()))
	default:
		fmt.Fprintf(a.Out, "started %s: %s\n", sanitize.Text(res.Started), sanitize.Text(res.Plan.Preview()))
	}
	return nil
}
