// Package migration is SchemaMigrationWorkflow: validate, back up, apply, check, and
// restore the backup whenever the change cannot stand.
package migration

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/notifications"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/wfstate"
)

// Pinned under Worker Versioning: a migration's backup, apply, verify and rollback
// all run on the code that planned them.
var workflowOpts = workflow.RegisterOptions{Name: contract.SchemaMigrationWorkflow, VersioningBehavior: workflow.VersioningBehaviorPinned}

// Register adds the workflow under its wire name.
func Register(reg interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	reg.RegisterWorkflowWithOptions(SchemaMigration, workflowOpts)
}

// Phases of a migration beyond the shared ones, reported in PipelinePhase.
const (
	PhaseValidatingMigration = contract.PhaseValidatingMigration
	PhaseBackingUp           = contract.PhaseBackingUp
	PhasePostValidating      = contract.PhasePostValidating
	PhaseRolledBack          = contract.PhaseRolledBack
)

// flow is one run of the workflow.
type flow struct {
	wfstate.State
	cfg    contract.MigrationConfig
	res    contract.MigrationResult
	sender notifications.Sender
}

// SchemaMigration is SchemaMigrationWorkflow.
func SchemaMigration(ctx workflow.Context, cfg contract.MigrationConfig) (contract.MigrationResult, error) {
	f := &flow{cfg: cfg, res: contract.MigrationResult{MigrationID: cfg.MigrationID}}
	f.Status = "RUNNING"
	if err := f.RegisterQueries(ctx); err != nil {
		return f.res, err
	}
	if err := cfg.Validate(); err != nil {
		f.finishFailed(ctx, err)
		return f.res, retry.Classify(err)
	}
	wfstate.SetPipelineID(ctx, cfg.MigrationID)
	ctx, cancel := workflow.WithCancel(ctx)
	workflow.Go(ctx, func(gctx workflow.Context) {
		var sig contract.CancelSignal
		workflow.GetSignalChannel(gctx, contract.SignalCancel).Receive(gctx, &sig)
		workflow.GetLogger(gctx).Info("cancel signal", "requested_by", sig.RequestedBy, "reason", sig.Reason)
		cancel()
	})
	return f.run(ctx)
}

func (f *flow) run(ctx workflow.Context) (contract.MigrationResult, error) {
	f.SetPhase(ctx, PhaseValidatingMigration, 0.05)
	if err := f.call(ctx, contract.ActivityValidateMigration, nil, f.cfg); err != nil {
		return f.stop(ctx, err, false)
	}
	f.SetPhase(ctx, PhaseBackingUp, 0.25)
	if err := f.call(ctx, contract.ActivityCreateBackup, &f.res.Backup, f.cfg); err != nil {
		return f.stop(ctx, err, false)
	}
	f.SetPhase(ctx, contract.PhaseMigrating, 0.5)
	var applied contract.ApplyResult
	if err := f.call(ctx, contract.ActivityApplyMigration, &applied, f.cfg); err != nil {
		return f.stop(ctx, err, true)
	}
	f.res.AlreadyApplied = applied.AlreadyApplied
	f.SetPhase(ctx, PhasePostValidating, 0.75)
	var pv contract.PostValidation
	if err := f.call(ctx, contract.ActivityValidatePostMigration, &pv, f.cfg, f.res.Backup); err != nil {
		return f.stop(ctx, err, true)
	}
	if ctx.Err() != nil {
		return f.stop(ctx, temporal.NewCanceledError("cancelled after apply"), true)
	}
	if !pv.Passed {
		return f.rollBack(ctx, pv)
	}
	f.SetPhase(ctx, contract.PhaseCompleted, 1)
	f.res.Status = contract.StatusCompleted
	f.Status = contract.StatusCompleted
	f.Result = &f.res
	return f.res, nil
}

// call runs one activity by name, keeping the timeline.
func (f *flow) call(ctx workflow.Context, name string, out any, args ...any) error {
	i := f.Begin(ctx, name)
	err := workflow.ExecuteActivity(retry.WithActivityOptions(ctx, name), name, args...).Get(ctx, out)
	switch {
	case err == nil:
		f.End(ctx, i, status.ActivityCompleted, nil)
	case temporal.IsCanceledError(err):
		f.End(ctx, i, status.ActivityCancelled, nil)
	default:
		f.End(ctx, i, status.ActivityFailed, err)
	}
	return err
}

// stop ends the run after err. Once apply may have run, the backup is restored first,
// on a disconnected context when the workflow was cancelled.
func (f *flow) stop(ctx workflow.Context, err error, applied bool) (contract.MigrationResult, error) {
	cancelled := temporal.IsCanceledError(err) || ctx.Err() != nil
	rctx := ctx
	if cancelled {
		rctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	var restoreErr error
	if applied {
		restoreErr = f.restore(rctx)
	}
	if cancelled && restoreErr == nil {
		f.res.Status, f.res.Reason = contract.StatusCancelled, "cancelled"
		if applied {
			f.res.Reason = "cancelled; the backup was restored"
		}
		f.Status = contract.StatusCancelled
		f.SetPhase(rctx, contract.PhaseCancelled, f.Progress)
		f.Result = &f.res
		f.notify(rctx, contract.SeverityInfo, "migration cancelled", f.res.Reason)
		return f.res, nil
	}
	if restoreErr != nil {
		err = fmt.Errorf("%w; restoring the backup also failed: %v", err, restoreErr)
	}
	f.finishFailed(rctx, err)
	f.notify(rctx, contract.SeverityCritical, "migration failed", err.Error())
	if restoreErr != nil {
		return f.res, temporal.NewNonRetryableApplicationError(err.Error(), "RestoreFailed", nil)
	}
	return f.res, err
}

// rollBack restores the backup after failed post-validation. It runs on a
// disconnected context: a cancel arriving now must not leave the table migrated.
func (f *flow) rollBack(ctx workflow.Context, pv contract.PostValidation) (contract.MigrationResult, error) {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	if err := f.restore(ctx); err != nil {
		return f.stop(ctx, fmt.Errorf("post-validation failed (%v) and restore failed: %w", pv.Failures, err), false)
	}
	f.res.Status = contract.StatusRolledBack
	f.res.Failures = pv.Failures
	f.res.Reason = fmt.Sprintf("post-validation failed: %d check(s)", len(pv.Failures))
	f.Status = contract.StatusRolledBack
	f.SetPhase(ctx, PhaseRolledBack, 1)
	f.Result = &f.res
	f.notify(ctx, contract.SeverityWarning, "migration rolled back", f.res.Reason)
	return f.res, nil
}

func (f *flow) restore(ctx workflow.Context) error {
	f.SetPhase(ctx, contract.PhaseRollingBack, f.Progress)
	var out contract.RestoreResult
	return f.call(ctx, contract.ActivityRestoreBackup, &out, f.res.Backup)
}

func (f *flow) finishFailed(ctx workflow.Context, err error) {
	f.res.Status, f.res.Reason = contract.StatusFailed, err.Error()
	f.Status, f.Failure = contract.StatusFailed, err.Error()
	f.SetPhase(ctx, contract.PhaseFailed, f.Progress)
	f.Result = &f.res
}

// notify hands notify_failure to a delivery workflow on notify-workers and waits only
// until the server has started it, so a missing notify worker never delays the
// migration's end nor hides its outcome.
func (f *flow) notify(ctx workflow.Context, severity, summary, detail string) {
	n := contract.FailureNotification{
		NotificationHeader: contract.NotificationHeader{
			WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
			PipelineID: f.cfg.MigrationID,
			Severity:   severity,
			Summary:    fmt.Sprintf("%s: %s on %s after %s", summary, f.cfg.MigrationID, f.cfg.Table, status.FormatDuration(wfstate.Elapsed(ctx))),
		},
		Error:    detail,
		Activity: lastFailed(f.Activities),
	}
	f.sender.Send(ctx, contract.ActivityNotifyFailure, n)
	f.sender.Started(ctx)
}

func lastFailed(acts []status.Activity) string {
	for i := len(acts) - 1; i >= 0; i-- {
		if acts[i].Status == status.ActivityFailed {
			return acts[i].Name
		}
	}
	return ""
}

// IsRestoreFailure tells whether a workflow error means the table may be left migrated.
func IsRestoreFailure(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == "RestoreFailed"
}
