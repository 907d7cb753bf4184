package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/sanitize"
)

// watchPoll bounds one long poll so a change the history does not show (a worker's
// query answer) still appears.
const watchPoll = 10 * time.Second

func (a *App) watchCmd() *cobra.Command {
	return &cobra.Command{Use: "watch ID", Short: "print one line per change; exit 0 when the workflow completes, 1 when it ends otherwise (3 not found, 5 unreachable)", Args: oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			return Watch(cmd.Context(), src, args[0], a.Out, a.Output == "json")
		}}
}

// Watch follows a workflow until it closes, printing a line (or a JSON document) each
// time its summary changes, and returns errOutcome unless it completed successfully.
func Watch(ctx context.Context, src data.Source, id string, out io.Writer, asJSON bool) error {
	last := ""
	var failingSince time.Time
	for {
		doc, err := src.Status(ctx, id, "")
		if err != nil && transient(err) && ctx.Err() == nil {
			// A server blip (a restart, a rate limit) is waited out, up to watchBlip.
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			if time.Since(failingSince) < watchBlip {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(watchRetry):
				}
				continue
			}
		}
		if err != nil {
			return err
		}
		failingSince = time.Time{}
		if line := summary(doc); line != last {
			last = line
			if asJSON {
				b, _ := json.Marshal(doc)
				fmt.Fprintln(out, string(b))
			} else {
				fmt.Fprintf(out, "%s %s\n", time.Now().Format("15:04:05"), line)
			}
		}
		if doc.Status != status.WorkflowRunning {
			return outcome(doc)
		}
		wctx, cancel := context.WithTimeout(ctx, watchPoll)
		err = src.WaitChange(wctx, id, doc.RunID, doc.HistoryLength)
		cancel()
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, data.ErrUnreachable) {
			// The long poll failed at once: wait a moment before asking again.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
}

// watchBlip is how long watch keeps retrying a server that stopped answering before it
// gives up with exit 5; watchRetry is the pause between tries.
const (
	watchBlip  = 30 * time.Second
	watchRetry = time.Second
)

func transient(err error) bool {
	return errors.Is(err, data.ErrUnreachable) || errors.Is(err, data.ErrRateLimited)
}

func summary(d status.Document) string {
	parts := []string{d.Status}
	if d.Phase != "" {
		parts = append(parts, "phase="+sanitize.Text(d.Phase))
	}
	if d.CurrentActivity != "" {
		parts = append(parts, "activity="+sanitize.Text(d.CurrentActivity))
	}
	parts = append(parts, fmt.Sprintf("progress=%.0f%%", d.Progress*100))
	if len(d.PendingSignals) > 0 {
		parts = append(parts, "waiting-for="+sanitize.Text(strings.Join(d.PendingSignals, ",")))
	}
	if d.Retries > 0 {
		parts = append(parts, fmt.Sprintf("retries=%d", d.Retries))
	}
	if d.Failure != "" {
		parts = append(parts, "failure="+sanitize.Text(d.Failure))
	}
	if r := resultStatus(d); r != "" {
		parts = append(parts, "result="+sanitize.Text(r))
	}
	return strings.Join(parts, " ")
}

// resultStatus reads the "status" field the MATIH results carry (COMPLETED, FAILED ...).
func resultStatus(d status.Document) string {
	var r struct {
		Status string `json:"status"`
	}
	if len(d.Result) == 0 || json.Unmarshal(d.Result, &r) != nil {
		return ""
	}
	return r.Status
}

func outcome(d status.Document) error {
	rs := resultStatus(d)
	if d.Status == status.WorkflowCompleted && (rs == "" || rs == contract.StatusCompleted) {
		return nil
	}
	what := d.Status
	if rs != "" && rs != d.Status {
		what += " with result " + rs
	}
	return fmt.Errorf("%w: %s ended %s", errOutcome, sanitize.Text(d.WorkflowID), what)
}

func printDoc(w io.Writer, d status.Document) {
	p := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-17s %s\n", sanitize.Text(k), sanitize.Text(v))
		}
	}
	p("workflow", d.WorkflowID)
	p("run", d.RunID)
	p("type", d.WorkflowType)
	p("task queue", d.TaskQueue)
	p("status", d.Status)
	p("stuck", d.Stuck)
	p("phase", d.Phase)
	p("started", d.StartedAt.Local().Format(time.RFC3339))
	if d.ClosedAt != nil {
		p("closed", d.ClosedAt.Local().Format(time.RFC3339))
	}
	p("current activity", d.CurrentActivity)
	p("progress", fmt.Sprintf("%.0f%% (from %s)", d.Progress*100, d.ProgressSource))
	p("retries", fmt.Sprint(d.Retries))
	p("waiting for", strings.Join(d.PendingSignals, ", "))
	p("refused signals", status.RefusalLine(d.RefusedSignals))
	if ps := d.Partitions; ps != nil {
		p("partitions", fmt.Sprintf("%d/%d done, %d failed, %d running, %d pending; %d rows; %.1f partitions/s, ETA %s",
			ps.Done+ps.Skipped, ps.Total, ps.Failed, ps.Running, ps.Pending, ps.Rows, ps.PartitionsPerSecond,
			status.FormatDuration(time.Duration(ps.ETASeconds*float64(time.Second)))))
	}
	if q := d.Quality; q != nil {
		p("quality score", fmt.Sprintf("%.2f over %d rows", q.Score, q.Rows))
		for _, c := range q.Checks {
			mark := "PASS"
			if !c.Passed {
				mark = fmt.Sprintf("FAIL %d/%d rows", c.FailedRows, c.TotalRows)
			}
			p("  "+c.Name, strings.TrimSpace(mark+" "+strings.Join(c.Samples, "; ")))
		}
	}
	if ap := d.Approval; ap != nil {
		p("approval", approvalLine(ap, time.Now()))
	}
	if len(d.Activities) > 0 {
		fmt.Fprintln(w, "activities")
		for _, act := range d.Activities {
			line := fmt.Sprintf("  %-26s %-9s %-8s", act.Name, act.Status, act.Duration)
			if act.Attempts > 0 {
				line += fmt.Sprintf(" attempts=%d", act.Attempts)
			}
			if act.Heartbeat != "" {
				line += " heartbeat=" + act.Heartbeat
			}
			if act.LastFailure != "" && act.Status == status.ActivitySkipped {
				line += " why=" + act.LastFailure
			} else if act.LastFailure != "" {
				line += " last-failure=" + act.LastFailure
			}
			fmt.Fprintln(w, sanitize.Text(line))
		}
	}
	p("result", string(d.Result))
	p("failure", d.Failure)
}

// approvalLine summarises the gate: decided by whom, or time left before it times out.
func approvalLine(ap *status.Approval, now time.Time) string {
	if ap.Decided {
		verb := "approved"
		if !ap.Approved {
			verb = "rejected"
		}
		return fmt.Sprintf("%s by %s: %s", verb, ap.Approver, ap.Reason)
	}
	left := ap.Deadline.Sub(now)
	if left < 0 {
		left = 0
	}
	return fmt.Sprintf("waiting; min score %.2f; %s left (until %s)", ap.MinScore, status.FormatDuration(left), ap.Deadline.Local().Format("15:04"))
}
