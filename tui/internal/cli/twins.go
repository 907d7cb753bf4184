package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// The scriptable twins of the console's inbox and failures views.

type inboxAnswer struct {
	Approvals []data.Waiting `json:"approvals"`
	Truncated bool           `json:"truncated,omitempty"`
}

func (a *App) inboxCmd() *cobra.Command {
	return &cobra.Command{Use: "inbox", Short: "runs waiting for a human decision, soonest deadline first", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			runs, truncated, err := data.Inbox(cmd.Context(), src)
			if err != nil {
				return err
			}
			if runs == nil {
				runs = []data.Waiting{}
			}
			if a.Output == "json" {
				return a.json(inboxAnswer{Approvals: runs, Truncated: truncated})
			}
			now := time.Now()
			tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LEFT\tSCORE/MIN\tFIRST FAILING CHECK\tAGE\tID")
			for _, w := range runs {
				score := "-"
				if w.QualityScore != nil {
					score = fmt.Sprintf("%.2f", *w.QualityScore)
				}
				check := "-"
				if c := w.FirstFailing; c != nil {
					check = fmt.Sprintf("%s %.0f%%", sanitize.Text(c.Name), c.Ratio*100)
				}
				left, minScore := w.GateText(now)
				fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s\n", left, score, minScore, check, status.FormatDuration(now.Sub(w.StartedAt)), sanitize.Text(w.WorkflowID))
			}
			tw.Flush()
			if truncated {
				fmt.Fprintf(a.Err, "matih: only the first %d waiting runs are shown\n", data.MaxInbox)
			}
			return nil
		}}
}

type failuresAnswer struct {
	Since  time.Time           `json:"since"`
	Runs   int                 `json:"failedRuns"`
	Groups []data.FailureGroup `json:"groups"`
}

func (a *App) failuresCmd() *cobra.Command {
	var since time.Duration
	cmd := &cobra.Command{Use: "failures [--since 24h]", Short: "failed runs grouped by error, message and build", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if since <= 0 {
				return usagef("--since: expected a positive duration such as 24h, got %s", since)
			}
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			from := time.Now().Add(-since).UTC()
			fs, err := src.Failures(cmd.Context(), from)
			if err != nil {
				return err
			}
			groups := data.GroupFailures(fs)
			if a.Output == "json" {
				return a.json(failuresAnswer{Since: from, Runs: len(fs), Groups: groups})
			}
			tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "COUNT\tTYPE\tMESSAGE\tACTIVITY\tBUILD\tLAST SEEN\tEXAMPLE")
			for _, g := range groups {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Count, sanitize.Text(g.ErrorType), present.OneLine(g.Message),
					present.Dash(sanitize.Text(g.Activity)), present.Dash(sanitize.Text(g.BuildID)),
					g.LastSeen.Local().Format("01-02 15:04"), sanitize.Text(g.ExampleWorkflowID))
			}
			tw.Flush()
			return nil
		}}
	cmd.Flags().DurationVar(&since, "since", 24*time.Hour, "how far back to look")
	return cmd
}
