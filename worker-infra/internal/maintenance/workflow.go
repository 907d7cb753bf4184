// Package maintenance is TableMaintenanceWorkflow: compaction then snapshot expiry
// for each listed Iceberg table, one table at a time so a large table never starves
// the worker. A table that fails is reported and the next one still runs.
package maintenance

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/notifications"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/wfstate"
)

// PhaseMaintaining is reported while tables are processed.
const PhaseMaintaining = contract.PhaseMaintaining

// Pinned under Worker Versioning like every MATIH workflow: a nightly run is short,
// so its build drains within minutes.
var workflowOpts = workflow.RegisterOptions{Name: contract.TableMaintenanceWorkflow, VersioningBehavior: workflow.VersioningBehaviorPinned}

// Register adds the workflow under its wire name.
func Register(reg interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	reg.RegisterWorkflowWithOptions(TableMaintenance, workflowOpts)
}

// TableMaintenance is TableMaintenanceWorkflow.
func TableMaintenance(ctx workflow.Context, cfg contract.MaintenanceConfig) (contract.MaintenanceResult, error) {
	st := &wfstate.State{Status: "RUNNING"}
	res := contract.MaintenanceResult{}
	if err := st.RegisterQueries(ctx); err != nil {
		return res, err
	}
	if err := cfg.Validate(); err != nil {
		st.Status, st.Failure = contract.StatusFailed, err.Error()
		return res, retry.Classify(err)
	}
	// The cancel signal (the API's way) stops the run as Temporal cancellation does.
	ctx, cancelRun := workflow.WithCancel(ctx)
	workflow.Go(ctx, func(gctx workflow.Context) {
		var sig contract.CancelSignal
		workflow.GetSignalChannel(gctx, contract.SignalCancel).Receive(gctx, &sig)
		workflow.GetLogger(gctx).Info("maintenance cancelled", "by", sig.RequestedBy, "reason", sig.Reason)
		cancelRun()
	})
	st.SetPhase(ctx, PhaseMaintaining, 0)
	var failed []string
	for i, name := range cfg.Tables {
		r := maintainTable(ctx, st, cfg, name)
		res.Tables = append(res.Tables, r)
		st.Result = res
		if ctx.Err() != nil {
			break
		}
		if r.Error != "" {
			failed = append(failed, name+": "+r.Error)
		}
		st.SetPhase(ctx, PhaseMaintaining, float64(i+1)/float64(len(cfg.Tables)))
	}
	switch {
	case ctx.Err() != nil:
		res.Status = contract.StatusCancelled
		st.SetPhase(ctx, contract.PhaseCancelled, st.Progress)
	case len(failed) > 0:
		res.Status = contract.StatusFailed
		st.Failure = strings.Join(failed, "; ")
		st.SetPhase(ctx, contract.PhaseFailed, st.Progress)
		notifyFailure(ctx, st.Failure)
	default:
		res.Status = contract.StatusCompleted
		st.SetPhase(ctx, contract.PhaseCompleted, 1)
	}
	st.Status, st.Result = res.Status, res
	return res, nil
}

// maintainTable compacts then expires one table; errors land in the result.
func maintainTable(ctx workflow.Context, st *wfstate.State, cfg contract.MaintenanceConfig, name string) contract.CompactionResult {
	r := contract.CompactionResult{Table: name}
	if !cfg.SkipCompaction {
		req := contract.CompactionRequest{Table: name, TargetFileBytes: cfg.TargetFileBytes}
		if err := call(ctx, st, contract.ActivityCompactIcebergTable, req, &r); err != nil {
			r.Table, r.Error = name, "compaction: "+err.Error()
			return r
		}
	}
	if !cfg.SkipExpiry {
		var exp contract.CompactionResult
		req := contract.ExpiryRequest{Table: name, OlderThan: cfg.ExpireOlderThan, RetainLast: cfg.RetainLastNumber}
		if err := call(ctx, st, contract.ActivityExpireIcebergSnapshots, req, &exp); err != nil {
			r.Error = "expiry: " + err.Error()
			return r
		}
		r.SnapshotsExpired = exp.SnapshotsExpired
		if cfg.SkipCompaction {
			r.FilesBefore, r.FilesAfter, r.BytesBefore, r.BytesAfter, r.Rows, r.RowsAfter =
				exp.FilesBefore, exp.FilesAfter, exp.BytesBefore, exp.BytesAfter, exp.Rows, exp.RowsAfter
		}
	}
	return r
}

func call(ctx workflow.Context, st *wfstate.State, name string, in, out any) error {
	i := st.Begin(ctx, name)
	opts := retry.ActivityOptions(name)
	opts.TaskQueue = contract.InfraQueue
	if opts.StartToCloseTimeout == 0 {
		opts.StartToCloseTimeout = 30 * time.Minute
	}
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), name, in).Get(ctx, out)
	switch {
	case err == nil:
		st.End(ctx, i, status.ActivityCompleted, nil)
	case temporal.IsCanceledError(err):
		st.End(ctx, i, status.ActivityCancelled, nil)
	default:
		st.End(ctx, i, status.ActivityFailed, err)
	}
	return err
}

func notifyFailure(ctx workflow.Context, detail string) {
	n := contract.FailureNotification{
		NotificationHeader: contract.NotificationHeader{
			WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
			Severity:   contract.SeverityWarning,
			Summary:    fmt.Sprintf("table maintenance failed after %s", status.FormatDuration(wfstate.Elapsed(ctx))),
		},
		Error: detail,
	}
	// Handed to a delivery workflow: the run closes without waiting for worker-notify.
	var s notifications.Sender
	s.Send(ctx, contract.ActivityNotifyFailure, n)
	s.Started(ctx)
}
