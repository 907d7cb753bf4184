// Package testflow is a small workflow that speaks the pipeline contract the console
// depends on (status/progress queries, the approval update and signal, the cancel
// signal, the phase/progress/quality search attributes), so the console's integration
// and end-to-end tests run against a real Temporal server without the pipeline worker.
// It is test support only; the product's workflows live in the worker modules.
package testflow

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// ScoreActivity scores the declared columns: a column named "missing_*" fails its
// not-null check. Deliberately simple, but the workflow's gate depends on its answer.
const ScoreActivity = "validate_quality"

// LoadActivity counts the characters of the destination table name as "rows".
const LoadActivity = "load_to_iceberg"

// Score computes the quality of a config's declared columns.
func Score(_ context.Context, cols []string) (contract.QualityResult, error) {
	res := contract.QualityResult{Rows: int64(len(cols))}
	if len(cols) == 0 {
		return res, nil
	}
	var ok int64
	for i, c := range cols {
		passed := !strings.HasPrefix(c, "missing_")
		if passed {
			ok++
		}
		chk := contract.CheckResult{Name: "not_null_" + c, Type: contract.CheckNotNull, Passed: passed, Weight: 1, TotalRows: 1}
		if !passed {
			chk.FailedRows, chk.Samples = 1, []string{"row " + strconv.Itoa(i) + ": " + c + " is null"}
		}
		res.Checks = append(res.Checks, chk)
	}
	res.Score = float64(ok) / float64(len(cols))
	return res, nil
}

// Load reports how many rows a load would write, and heartbeats its progress.
func Load(ctx context.Context, table string) (int64, error) {
	if table == "" {
		return 0, temporal.NewNonRetryableApplicationError("destination.table is empty", "ValidationError", nil)
	}
	activity.RecordHeartbeat(ctx, map[string]any{"table": table})
	return int64(len(table)), nil
}

// Register adds the workflow and activities under the contract's names.
func Register(w worker.Registry) {
	w.RegisterWorkflowWithOptions(Workflow, workflow.RegisterOptions{Name: contract.DataPipelineWorkflow})
	w.RegisterActivityWithOptions(Score, activity.RegisterOptions{Name: ScoreActivity})
	w.RegisterActivityWithOptions(Load, activity.RegisterOptions{Name: LoadActivity})
}

// StartWorker runs a worker for the test workflow on the pipeline queue until the test ends.
func StartWorker(c client.Client) (stop func(), err error) {
	w := worker.New(c, contract.PipelineQueue, worker.Options{})
	Register(w)
	if err := w.Start(); err != nil {
		return nil, err
	}
	return w.Stop, nil
}

type run struct {
	doc      status.Document
	awaiting bool
	decision *contract.ApprovalSignal
	cancel   *contract.CancelSignal
}

var (
	phaseKey    = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelinePhase)
	pipelineKey = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelineID)
	progressKey = temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrProgress)
	qualityKey  = temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrQualityScore)
)

// Workflow extracts nothing, scores the declared columns, waits for a human when the
// score is below the minimum, then "loads".
func Workflow(ctx workflow.Context, cfg contract.PipelineConfig) (contract.PipelineResult, error) {
	r := &run{doc: status.Document{Activities: []status.Activity{}, PendingSignals: []string{}}}
	if err := r.handlers(ctx); err != nil {
		return contract.PipelineResult{}, err
	}
	start := workflow.Now(ctx)
	_ = workflow.UpsertTypedSearchAttributes(ctx, pipelineKey.ValueSet(cfg.PipelineID))
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, HeartbeatTimeout: 10 * time.Second})

	r.phase(ctx, contract.PhaseValidating, ScoreActivity, 0.2)
	var q contract.QualityResult
	if err := workflow.ExecuteActivity(ctx, ScoreActivity, cfg.Source.Columns).Get(ctx, &q); err != nil {
		return contract.PipelineResult{}, err
	}
	r.doc.Quality = &q
	_ = workflow.UpsertTypedSearchAttributes(ctx, qualityKey.ValueSet(q.Score))
	res := contract.PipelineResult{QualityScore: q.Score}
	if q.Score < cfg.MinQualityScore {
		done, err := r.gate(ctx, cfg, &res)
		if err != nil {
			return res, err
		}
		if done {
			res.Duration = contract.Duration(workflow.Now(ctx).Sub(start))
			return res, nil
		}
	}
	r.phase(ctx, contract.PhaseLoading, LoadActivity, 0.8)
	var rows int64
	if err := workflow.ExecuteActivity(ctx, LoadActivity, cfg.Destination.Table).Get(ctx, &rows); err != nil {
		return contract.PipelineResult{}, err
	}
	r.phase(ctx, contract.PhaseCompleted, "", 1)
	res.Status, res.RowsProcessed = contract.StatusCompleted, rows
	res.Duration = contract.Duration(workflow.Now(ctx).Sub(start))
	return res, nil
}

// gate waits for approval; it returns true when the run ended there (rejected, timed
// out, cancelled by signal) and the cancellation error when Temporal cancelled it.
func (r *run) gate(ctx workflow.Context, cfg contract.PipelineConfig, res *contract.PipelineResult) (bool, error) {
	timeout := cfg.ApprovalTimeout.D()
	if timeout == 0 {
		timeout = contract.DefaultApprovalTimeout
	}
	r.awaiting = true
	r.doc.PendingSignals = []string{contract.SignalApproval}
	r.doc.Approval = &status.Approval{Deadline: workflow.Now(ctx).Add(timeout), MinScore: cfg.MinQualityScore}
	r.phase(ctx, contract.PhaseAwaitingApproval, "", 0.5)
	ok, err := workflow.AwaitWithTimeout(ctx, timeout, func() bool { return r.decision != nil || r.cancel != nil })
	r.awaiting = false
	if err != nil {
		return true, err
	}
	r.doc.PendingSignals = []string{}
	switch {
	case r.cancel != nil:
		r.phase(ctx, contract.PhaseCancelled, "", r.doc.Progress)
		res.Status, res.Reason = contract.StatusCancelled, "cancelled by "+r.cancel.RequestedBy+": "+r.cancel.Reason
		return true, nil
	case !ok:
		r.phase(ctx, contract.PhaseFailed, "", r.doc.Progress)
		res.Status, res.Reason = contract.StatusFailed, "approval timed out"
		return true, nil
	}
	now := workflow.Now(ctx)
	a := r.doc.Approval
	a.Decided, a.Approved, a.Approver, a.Reason, a.DecidedAt = true, r.decision.Approved, r.decision.Approver, r.decision.Reason, &now
	res.Approver, res.ApprovalReason = r.decision.Approver, r.decision.Reason
	if !r.decision.Approved {
		r.phase(ctx, contract.PhaseFailed, "", r.doc.Progress)
		res.Status, res.Reason = contract.StatusFailed, "rejected by "+r.decision.Approver
		return true, nil
	}
	return false, nil
}

func (r *run) phase(ctx workflow.Context, phase, act string, progress float64) {
	r.doc.Phase, r.doc.CurrentActivity, r.doc.Progress = phase, act, progress
	if act != "" {
		r.doc.Activities = append(r.doc.Activities, status.Activity{Name: act, Status: status.ActivityRunning})
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, phaseKey.ValueSet(phase), progressKey.ValueSet(progress))
}

func (r *run) handlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (status.Document, error) { return r.doc, nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryProgress, func() (float64, error) { return r.doc.Progress, nil }); err != nil {
		return err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateApproval,
		func(ctx workflow.Context, s contract.ApprovalSignal) (string, error) {
			r.decision = &s
			return "recorded", nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, s contract.ApprovalSignal) error {
			if !r.awaiting || r.decision != nil {
				return errors.New("not awaiting approval")
			}
			if strings.TrimSpace(s.Approver) == "" {
				return errors.New("approver is required")
			}
			return nil
		}})
	if err != nil {
		return err
	}
	approvals := workflow.GetSignalChannel(ctx, contract.SignalApproval)
	cancels := workflow.GetSignalChannel(ctx, contract.SignalCancel)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(approvals, func(c workflow.ReceiveChannel, _ bool) {
				var s contract.ApprovalSignal
				c.Receive(ctx, &s)
				if r.awaiting && r.decision == nil {
					r.decision = &s
				}
			})
			sel.AddReceive(cancels, func(c workflow.ReceiveChannel, _ bool) {
				var s contract.CancelSignal
				c.Receive(ctx, &s)
				r.cancel = &s
			})
			sel.Select(ctx)
		}
	})
	return nil
}
