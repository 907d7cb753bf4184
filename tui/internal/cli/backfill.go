package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/sanitize"
)

// BackfillView is `matih backfill ID -o json`: the console's grid as data.
type BackfillView struct {
	WorkflowID string                   `json:"workflowId"`
	RunID      string                   `json:"runId"`
	Status     string                   `json:"status"`
	Phase      string                   `json:"phase"`
	Partitions *status.PartitionSummary `json:"partitions"`
	// FailureGroups are the listed failures grouped by normalised error, largest first.
	FailureGroups []BackfillFailureGroup `json:"failureGroups"`
}

// BackfillFailureGroup is failed partitions sharing one normalised error.
type BackfillFailureGroup struct {
	Error string   `json:"error"`
	Count int      `json:"count"`
	Keys  []string `json:"keys"`
}

func (a *App) backfillCmd() *cobra.Command {
	return &cobra.Command{Use: "backfill ID", Short: "a backfill's partitions: counts per state, pace, ETA and failures by error (the console's grid)", Args: oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			doc, err := src.Status(cmd.Context(), args[0], "")
			if err != nil {
				return err
			}
			if doc.Partitions == nil {
				return usagef("%s: no partition state: not a %s, or its workers never reported one", args[0], contract.DataBackfillWorkflow)
			}
			v := BackfillView{WorkflowID: doc.WorkflowID, RunID: doc.RunID, Status: doc.Status, Phase: doc.Phase, Partitions: doc.Partitions,
				FailureGroups: groupPartitionFailures(doc.Partitions.Failures)}
			if a.Output == "json" {
				return a.json(v)
			}
			printBackfill(a, v)
			return nil
		}}
}

func groupPartitionFailures(fs []contract.PartitionFailure) []BackfillFailureGroup {
	out := []BackfillFailureGroup{}
	at := map[string]int{}
	for _, f := range fs {
		msg := data.NormalizeMessage(f.Error)
		i, ok := at[msg]
		if !ok {
			i = len(out)
			at[msg] = i
			out = append(out, BackfillFailureGroup{Error: msg})
		}
		out[i].Count++
		out[i].Keys = append(out[i].Keys, f.Partition.Key)
	}
	for i := 1; i < len(out); i++ { // largest first, stable
		for j := i; j > 0 && out[j].Count > out[j-1].Count; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func printBackfill(a *App, v BackfillView) {
	p := v.Partitions
	fmt.Fprintf(a.Out, "%s  %s  %s\n", sanitize.Text(v.WorkflowID), v.Status, sanitize.Text(v.Phase))
	fmt.Fprintf(a.Out, "partitions  %d done, %d running, %d failed, %d skipped, %d pending of %d\n", p.Done, p.Running, p.Failed, p.Skipped, p.Pending, p.Total)
	line := fmt.Sprintf("pace        %.1f partitions/s, %.0f rows/s", p.PartitionsPerSecond, p.RowsPerSecond)
	if v.Status == status.WorkflowRunning && p.ETASeconds > 0 {
		line += ", ETA " + status.FormatDuration(time.Duration(p.ETASeconds*float64(time.Second)))
	}
	fmt.Fprintln(a.Out, line)
	fmt.Fprintf(a.Out, "tasks       %d partitions each, %d at once, run %d of its chain\n", p.BatchSize, p.MaxParallel, p.Runs)
	for _, g := range v.FailureGroups {
		keys := g.Keys
		if len(keys) > 5 {
			keys = keys[:5]
		}
		fmt.Fprintf(a.Out, "failed      %d× %s  (%s)\n", g.Count, sanitize.Text(g.Error), sanitize.Text(fmt.Sprint(keys)))
	}
}
