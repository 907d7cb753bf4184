package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/contract"
)

// stuckDetail says what an open run is waiting for: its history length, a
// pending workflow task, and each pending activity with its state, attempt,
// last heartbeat, last worker and last failure. It is how a run the chaos
// checks gave up on is told apart: a lost task, a retry backing off, or a
// workflow task that keeps failing.
func stuckDetail(c client.Client, id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return "describe: " + err.Error()
	}
	info := d.GetWorkflowExecutionInfo()
	parts := []string{fmt.Sprintf("%s, %d events", info.GetStatus(), info.GetHistoryLength())}
	if wt := d.GetPendingWorkflowTask(); wt != nil {
		parts = append(parts, fmt.Sprintf("workflow task %s, attempt %d, scheduled %s", wt.GetState(), wt.GetAttempt(), since(wt.GetScheduledTime().AsTime())))
	}
	for _, a := range d.GetPendingActivities() {
		p := fmt.Sprintf("activity %s %s %s, attempt %d", a.GetActivityId(), a.GetActivityType().GetName(), a.GetState(), a.GetAttempt())
		if t := a.GetLastHeartbeatTime(); t != nil {
			p += ", heartbeat " + since(t.AsTime())
		}
		if w := a.GetLastWorkerIdentity(); w != "" {
			p += ", worker " + w
		}
		if f := a.GetLastFailure(); f != nil {
			p += ", last failure " + oneLine(f.GetMessage())
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

func since(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "never"
	}
	return time.Since(t).Round(time.Second).String() + " ago"
}

// oneLine keeps a failure message short enough for a table cell.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return strings.ReplaceAll(s, "|", "/")
}

// checkBackfill waits for the backfill a bounded time after the faults end (its
// retries back off 30 s, then 60 s), and says what it waits for if it is still open.
func (r *chaosReport) checkBackfill(c client.Client, bf client.WorkflowRun, size chaosSize) {
	ctx, cancel := context.WithTimeout(context.Background(), max(5*time.Minute, size.faultsFor*2))
	defer cancel()
	var res contract.BackfillResult
	err := bf.Get(ctx, &res)
	detail := fmt.Sprintf("%d of %d partitions, %d rows, %d runs", res.PartitionsProcessed, size.partitions, res.TotalRows, res.Runs)
	if err != nil {
		detail += ", err " + oneLine(err.Error()) + "; " + stuckDetail(c, bf.GetID())
		var app *temporal.ApplicationError
		var failed contract.BackfillResult
		if errors.As(err, &app) && app.Details(&failed) == nil {
			detail += fmt.Sprintf("; %d done before it failed", failed.PartitionsProcessed)
			for _, f := range failed.Failures {
				detail += fmt.Sprintf("; %s failed after %d attempts: %s", f.Partition.Key, f.Attempts, oneLine(f.Error))
			}
		}
	}
	r.add("backfill completed", err == nil && res.Status == contract.StatusCompleted && res.PartitionsProcessed == size.partitions, detail)
}
