// Package pipeline holds DataPipelineWorkflow: extract, validate quality, wait for a
// human when quality is low, transform through Airflow, load to Iceberg.
package pipeline

import (
	"errors"
	"fmt"

	"github.com/matih/ops/shared/wfstate"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/notifications"
	"github.com/matih/ops/shared/retry"
)

// Register adds the workflow under its wire name. It is Pinned under Worker
// Versioning: a run that waits hours for an approval finishes on the build that
// started it, so a rollout never replays it on changed code.
func Register(reg interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	reg.RegisterWorkflowWithOptions(DataPipelineWorkflow, workflow.RegisterOptions{
		Name: contract.DataPipelineWorkflow, VersioningBehavior: workflow.VersioningBehaviorPinned})
}

// run is one execution's state.
type run struct {
	tracker
	cfg    contract.PipelineConfig
	id     string
	sender notifications.Sender // the delivery workflows of its notifications
	staged stagedRun
}

// DataPipelineWorkflow runs one pipeline. A rejected or timed-out approval and a
// cancellation end it with status CANCELLED; a step that fails after its retries
// fails it with that step's error.
func DataPipelineWorkflow(ctx workflow.Context, cfg contract.PipelineConfig) (contract.PipelineResult, error) {
	if err := validate(cfg); err != nil {
		return contract.PipelineResult{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeValidation, err)
	}
	r := &run{cfg: cfg, id: workflow.GetInfo(ctx).WorkflowExecution.ID}
	r.authority = r.cfg.DecisionAllowed
	r.started = workflow.Now(ctx)
	if r.cfg.ApprovalTimeout <= 0 {
		r.cfg.ApprovalTimeout = contract.Duration(contract.DefaultApprovalTimeout)
	}
	runCtx, cancelRun := workflow.WithCancel(ctx)
	err := r.setupHandlers(ctx, cancelRun)
	if err != nil {
		return contract.PipelineResult{}, err
	}
	wfstate.SetPipelineID(ctx, cfg.PipelineID)
	r.staged, err = r.stagingOf(ctx)
	if err != nil {
		return contract.PipelineResult{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeValidation, err)
	}
	res, err := r.steps(runCtx)
	r.deleteStaging(ctx)
	switch {
	case err != nil && (temporal.IsCanceledError(err) || runCtx.Err() != nil):
		return r.cancelled(ctx), nil
	case err != nil:
		return contract.PipelineResult{}, r.failed(ctx, err)
	}
	r.finish(ctx, &res)
	return res, nil
}

// validate refuses a config the contract refuses, and a source that carries a DSN
// instead of naming a connection of the workers' config.
func validate(cfg contract.PipelineConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	return cfg.Source.RequireConnection("source")
}

// steps runs the pipeline; a non-nil result with a nil error ends it early.
func (r *run) steps(ctx workflow.Context) (contract.PipelineResult, error) {
	r.setPhase(ctx, contract.PhaseExtracting)
	var ext contract.ExtractionResult
	if err := r.exec(ctx, contract.ActivityExtractData, r.extractInput(), &ext); err != nil {
		return contract.PipelineResult{}, err
	}

	r.setPhase(ctx, contract.PhaseValidating)
	var q contract.QualityResult
	if err := r.exec(ctx, contract.ActivityValidateQuality, r.qualityInput(ext), &q); err != nil {
		return contract.PipelineResult{}, err
	}
	if err := r.crossCheck(contract.ActivityValidateQuality, ext.Rows, q.Rows); err != nil {
		return contract.PipelineResult{}, err
	}
	r.quality = &q
	r.upsert(ctx)
	if q.Score < r.cfg.MinQualityScore {
		if stop, err := r.approvalGate(ctx, q); err != nil || stop != nil {
			return derefResult(stop), err
		}
	}

	r.setPhase(ctx, contract.PhaseTransforming)
	tr := contract.TransformResult{Status: contract.TransformSkipped, OutputPath: ext.OutputPath}
	if r.cfg.TransformDAG == "" {
		r.skip(contract.ActivityTriggerAirflowDAG, "no transform_dag configured")
		r.upsert(ctx)
	} else if err := r.exec(ctx, contract.ActivityTriggerAirflowDAG, r.transformInput(ext), &tr); err != nil {
		return contract.PipelineResult{}, err
	}

	r.setPhase(ctx, contract.PhaseLoading)
	var load contract.LoadResult
	lin := contract.LoadInput{InputPath: tr.OutputPath, Destination: r.cfg.Destination, IdempotencyKey: r.loadKey()}
	if err := r.exec(ctx, contract.ActivityLoadToIceberg, lin, &load); err != nil {
		return contract.PipelineResult{}, err
	}
	if r.cfg.TransformDAG == "" {
		if err := r.crossCheck(contract.ActivityLoadToIceberg, ext.Rows, load.Rows); err != nil {
			return contract.PipelineResult{}, err
		}
	}
	return contract.PipelineResult{Status: contract.StatusCompleted, RowsProcessed: load.Rows, SnapshotID: load.SnapshotID}, nil
}

func derefResult(r *contract.PipelineResult) contract.PipelineResult {
	if r == nil {
		return contract.PipelineResult{}
	}
	return *r
}

// exec runs one activity by name with its policy from shared, tracking it. The
// policy waits for a cancelled activity to acknowledge, so the trigger sees the
// cancel request (and stops the DAG run) before the workflow closes.
func (r *run) exec(ctx workflow.Context, name string, in, out any) error {
	i := r.begin(ctx, name)
	err := workflow.ExecuteActivity(retry.WithActivityOptions(ctx, name), name, in).Get(ctx, out)
	r.end(ctx, i, err)
	if err == nil {
		r.upsert(ctx)
	}
	return err
}

// finish completes a result (duration, history, approval) and, for a completed run,
// sends notify_pipeline_completion.
func (r *run) finish(ctx workflow.Context, res *contract.PipelineResult) {
	res.Duration = contract.Duration(workflow.Now(ctx).Sub(r.started))
	res.HistoryLength = workflow.GetInfo(ctx).GetCurrentHistoryLength()
	if r.quality != nil {
		res.QualityScore = r.quality.Score
	}
	if r.decision != nil {
		res.Approver, res.ApprovalReason = r.decision.Approver, r.decision.Reason
	}
	defer r.awaitSent(ctx)
	if res.Status != contract.StatusCompleted {
		r.setPhase(ctx, contract.PhaseCancelled)
		return
	}
	r.progress = 1
	r.setPhase(ctx, contract.PhaseCompleted)
	n := contract.CompletionNotification{NotificationHeader: r.header(contract.SeverityInfo,
		fmt.Sprintf("pipeline %s loaded %d rows into %s", r.cfg.PipelineID, res.RowsProcessed, r.cfg.Destination.Table)),
		Status: res.Status, Rows: res.RowsProcessed, Duration: res.Duration}
	r.notify(ctx, contract.ActivityNotifyPipelineCompletion, n)
}

// cancelled stops on a disconnected context: tells people, returns CANCELLED.
func (r *run) cancelled(ctx workflow.Context) contract.PipelineResult {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	reason := "cancelled through Temporal"
	if r.cancelReq != nil {
		reason = fmt.Sprintf("cancelled by %s: %s", r.cancelReq.RequestedBy, r.cancelReq.Reason)
	}
	r.current = ""
	summary := fmt.Sprintf("pipeline %s %s", r.cfg.PipelineID, reason)
	// A completion that says CANCELLED: people are told, and worker-notify resolves
	// the run's open incidents (a quality issue waiting for approval) instead of
	// opening a failure one for a run nobody needs to look at.
	r.notify(dctx, contract.ActivityNotifyPipelineCompletion, contract.CompletionNotification{
		NotificationHeader: r.header(contract.SeverityWarning, summary), Status: contract.StatusCancelled,
		Duration: contract.Duration(workflow.Now(dctx).Sub(r.started))})
	res := contract.PipelineResult{Status: contract.StatusCancelled, Reason: reason}
	r.finish(dctx, &res)
	return res
}

// failed reports a step that failed after its retries and returns its error.
func (r *run) failed(ctx workflow.Context, err error) error {
	step := r.current
	r.setPhase(ctx, contract.PhaseFailed)
	var attempts int32 = 1
	var actErr *temporal.ActivityError
	if errors.As(err, &actErr) && actErr.RetryState().String() == "MaximumAttemptsReached" {
		attempts = retry.PolicyFor(step).MaximumAttempts
	}
	r.notify(ctx, contract.ActivityNotifyFailure, contract.FailureNotification{
		NotificationHeader: r.header(contract.SeverityCritical, fmt.Sprintf("pipeline %s failed in %s", r.cfg.PipelineID, step)),
		Error:              rootMessage(err), Activity: step, Attempts: attempts})
	return err
}

func (r *run) header(severity, summary string) contract.NotificationHeader {
	return contract.NotificationHeader{WorkflowID: r.id, PipelineID: r.cfg.PipelineID, Severity: severity, Summary: summary}
}

// rootMessage is the innermost error's message: the cause, not Temporal's wrapping.
func rootMessage(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
