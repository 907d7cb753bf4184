// Package backfill holds DataBackfillWorkflow: a partitioned backfill that keeps a
// sliding window of process_partition tasks in flight, batches small partitions,
// continues as new before its history grows large, and reports per-partition state.
package backfill

import (
	"errors"
	"fmt"

	"github.com/matih/ops/shared/wfstate"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/shared/signals"
)

// Register adds the workflow under its wire name. It is Pinned under Worker
// Versioning. On server 1.29 a Pinned run that continues-as-new stays on its build
// (upgrading at continue-as-new needs a newer server), so a long backfill keeps its
// build's workers busy until it ends; rollout.sh drain waits for that.
func Register(reg interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	reg.RegisterWorkflowWithOptions(DataBackfillWorkflow, workflow.RegisterOptions{
		Name: contract.DataBackfillWorkflow, VersioningBehavior: workflow.VersioningBehaviorPinned})
}

// ErrTypeBudgetExceeded is the error type of a backfill that failed more partitions
// than its failure budget; its details hold the BackfillResult.
const ErrTypeBudgetExceeded = "FailureBudgetExceeded"

// DataBackfillWorkflow processes every partition of cfg exactly once (per reprocess
// mode), at most max_parallel tasks at a time.
func DataBackfillWorkflow(ctx workflow.Context, cfg contract.BackfillConfig) (contract.BackfillResult, error) {
	pl, todo, err := validate(cfg)
	if err != nil {
		return contract.BackfillResult{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeValidation, err)
	}
	if cfg.Reprocess == "" {
		cfg.Reprocess = contract.ReprocessAll
	}
	s := newState(cfg, pl, todo)
	if s.started.IsZero() {
		s.started = workflow.Now(ctx)
	}
	if err := s.setupHandlers(ctx); err != nil {
		return contract.BackfillResult{}, err
	}
	wfstate.SetPipelineID(ctx, cfg.PipelineID)
	// The cancel signal (the API's way) cancels the run as Temporal cancellation does.
	runCtx, cancelRun := workflow.WithCancel(ctx)
	s.cancelRun = cancelRun
	return s.run(runCtx)
}

// validate checks the config and builds the plan and the selected partitions.
func validate(cfg contract.BackfillConfig) (plan.Plan, []int, error) {
	if err := cfg.Validate(); err != nil {
		return plan.Plan{}, nil, err
	}
	// A source names a connection of the workers' config, never carries a DSN.
	if err := cfg.Source.RequireConnection("source"); err != nil {
		return plan.Plan{}, nil, err
	}
	if cfg.HistoryLimit != 0 && cfg.HistoryLimit < contract.MinHistoryLimit {
		return plan.Plan{}, nil, contract.Invalid("history_limit", "at least %d events (0 means %d), got %d",
			contract.MinHistoryLimit, contract.DefaultHistoryLimit, cfg.HistoryLimit)
	}
	pl, err := plan.New(cfg)
	if err != nil {
		return plan.Plan{}, nil, err
	}
	if len(cfg.OnlyPartitions) == 0 {
		return pl, nil, nil
	}
	todo, err := pl.Select(cfg.OnlyPartitions)
	return pl, todo, err
}

// run keeps the window full until every partition is finished, the budget is
// spent, the history is long enough to continue as new, or the run is cancelled.
func (s *state) run(ctx workflow.Context) (contract.BackfillResult, error) {
	s.setPhase(ctx, contract.PhaseProcessing)
	if s.paused {
		s.setPhase(ctx, contract.PhasePaused)
	}
	sel := workflow.NewSelector(ctx)
	s.addSignals(ctx, sel)
	actx := retry.WithActivityOptions(ctx, contract.ActivityProcessPartition)
	for {
		s.launch(ctx, actx, sel)
		if len(s.inflight) == 0 && ctx.Err() == nil {
			switch {
			case s.budgetExceeded():
				return s.fail(ctx)
			case !s.hasPending():
				return s.complete(ctx), nil
			case s.draining(ctx):
				return contract.BackfillResult{}, s.continueAsNew(ctx)
			}
		}
		if ctx.Err() != nil && len(s.inflight) == 0 {
			return s.cancelled(ctx), nil
		}
		sel.Select(ctx)
	}
}

// draining is true once the history is long enough that the tasks in flight
// could take it near the limit, or once a newer build is the deployment's target:
// no new task starts, the run continues as new (on that build, see continueAsNew).
func (s *state) draining(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetCurrentHistoryLength() >= s.drainAt || info.GetContinueAsNewSuggested() || info.GetTargetWorkerDeploymentVersionChanged()
}

// launch starts tasks while the window has room.
func (s *state) launch(ctx, actx workflow.Context, sel workflow.Selector) {
	for ctx.Err() == nil && !s.paused && !s.budgetExceeded() && len(s.inflight) < s.window && !s.draining(ctx) {
		parts := s.take(s.batchSize())
		if len(parts) == 0 {
			return
		}
		s.seq++
		b := batch{seq: s.seq, parts: parts}
		s.inflight = append(s.inflight, b)
		// The batch names its partitions as index ranges of the plan, so a run's
		// history holds thousands of tasks before it continues as new.
		in := contract.PartitionBatch{BackfillID: workflow.GetInfo(ctx).WorkflowExecution.ID, PipelineID: s.cfg.PipelineID,
			Source: s.cfg.Source, PartitionColumn: s.cfg.PartitionColumn, Destination: s.cfg.Destination,
			Reprocess: s.cfg.Reprocess, Plan: plan.Spec(s.cfg), Ranges: plan.Ranges(parts)}
		f := workflow.ExecuteActivity(actx, contract.ActivityProcessPartition, in)
		sel.AddFuture(f, func(f workflow.Future) {
			var res contract.BatchResult
			err := f.Get(ctx, &res)
			s.finish(ctx, b, res, err)
		})
	}
}

// take removes up to n pending partitions from the queue.
func (s *state) take(n int) []contract.Partition {
	var out []contract.Partition
	for len(out) < n {
		i, ok := s.next()
		if !ok {
			break
		}
		out = append(out, s.plan.At(i))
	}
	return out
}

// finish applies a task's outcome: results per partition, unattempted partitions
// back to the queue, and on an error every unreported partition failed.
func (s *state) finish(ctx workflow.Context, b batch, res contract.BatchResult, err error) {
	for k, in := range s.inflight {
		if in.seq == b.seq {
			s.inflight = append(s.inflight[:k], s.inflight[k+1:]...)
			break
		}
	}
	if err != nil {
		res = heartbeated(err, res) // what a timed-out task reported before it was lost
	}
	reported := map[int]bool{}
	for _, r := range res.Results {
		reported[r.Partition.Index] = true
		s.ledger.record(r)
	}
	s.recordRanges(b, res, reported)
	s.measure(res)
	lost, handedBack := workerLost(err), 0
	for _, p := range b.parts {
		if reported[p.Index] {
			delete(s.lost, p.Index)
			continue
		}
		switch {
		case err == nil || temporal.IsCanceledError(err):
			s.requeue = append(s.requeue, p.Index)
		case lost && s.handBack(p.Index):
			handedBack++
		case lost:
			s.ledger.fail(s.lostFailure(p, err))
		default:
			s.ledger.fail(contract.PartitionFailure{Partition: p, Attempts: attemptsOf(err), Error: short(rootMessage(err))})
		}
	}
	if handedBack > 0 {
		workflow.GetLogger(ctx).Warn("a task lost its worker on every attempt; its partitions go back to the queue",
			"partitions", handedBack, "error", rootMessage(err))
	}
	s.upsert(ctx, false)
}

// recordRanges applies a ranged batch's done and skipped ranges, as far as they
// name partitions of the batch. A range's rows go to its first partition: the
// ledger only keeps sums per range.
func (s *state) recordRanges(b batch, res contract.BatchResult, reported map[int]bool) {
	if len(res.Done) == 0 && len(res.Skipped) == 0 {
		return
	}
	mine := make(map[int]bool, len(b.parts))
	for _, p := range b.parts {
		mine[p.Index] = true
	}
	apply := func(rs []contract.PartitionRange, status string) {
		for _, r := range rs {
			rows, attempts := r.Rows, r.Attempts-(r.To-r.From-1)
			for i := r.From; i < r.To; i++ {
				if !mine[i] || reported[i] {
					continue
				}
				reported[i] = true
				s.ledger.record(contract.PartitionResult{Partition: s.plan.At(i), Status: status, Rows: rows, Attempts: max(attempts, 1)})
				rows, attempts = 0, 1
			}
		}
	}
	apply(res.Done, contract.PartitionDone)
	apply(res.Skipped, contract.PartitionSkipped)
}

// heartbeated returns the partitions a task that timed out (its worker crashed or
// hung on the last attempt) had finished, as its last heartbeat recorded them: they
// were committed, so they count as done, not failed.
func heartbeated(err error, res contract.BatchResult) contract.BatchResult {
	var te *temporal.TimeoutError
	if errors.As(err, &te) && te.HasLastHeartbeatDetails() {
		var hb contract.BatchResult
		if te.LastHeartbeatDetails(&hb) == nil && len(hb.Results) > 0 {
			return hb
		}
	}
	return res
}

// attemptsOf is how many attempts a failed task made, as far as the error tells.
func attemptsOf(err error) int {
	var ae *temporal.ActivityError
	if errors.As(err, &ae) && ae.RetryState().String() == "MaximumAttemptsReached" {
		return int(retry.PolicyFor(contract.ActivityProcessPartition).MaximumAttempts)
	}
	return 1
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

func (s *state) result(ctx workflow.Context, status string) contract.BackfillResult {
	l := &s.ledger
	res := contract.BackfillResult{PartitionsProcessed: count(l.done), TotalRows: rowsOf(l.done), Status: status,
		PartitionsSkipped: count(l.skipped), Failures: l.failed, Runs: s.runs + 1,
		PartitionsFailed: l.failedCount(), FailedRanges: l.failedAt,
		Elapsed:        contract.Duration(workflow.Now(ctx).Sub(s.started)),
		LongestHistory: max(s.longest, workflow.GetInfo(ctx).GetCurrentHistoryLength()+4)}
	for _, f := range l.failed {
		res.FailedPartitions = append(res.FailedPartitions, f.Partition)
	}
	return res
}

func (s *state) complete(ctx workflow.Context) contract.BackfillResult {
	s.setPhase(ctx, contract.PhaseCompleted)
	return s.result(ctx, contract.StatusCompleted)
}

func (s *state) fail(ctx workflow.Context) (contract.BackfillResult, error) {
	s.setPhase(ctx, contract.PhaseFailed)
	res := s.result(ctx, contract.StatusFailed)
	msg := fmt.Sprintf("%d partitions failed, more than the failure budget of %d; first: %s: %s",
		s.ledger.failedCount(), s.cfg.FailureBudget, s.ledger.failed[0].Partition.Key, s.ledger.failed[0].Error)
	return res, temporal.NewNonRetryableApplicationError(msg, ErrTypeBudgetExceeded, nil, res)
}

func (s *state) cancelled(ctx workflow.Context) contract.BackfillResult {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	s.setPhase(dctx, contract.PhaseCancelled)
	res := s.result(dctx, contract.StatusCancelled)
	res.Reason = "cancelled through Temporal"
	if s.cancelReq != nil {
		res.Reason = fmt.Sprintf("cancelled by %s: %s", s.cancelReq.RequestedBy, s.cancelReq.Reason)
	}
	return res
}

// continueAsNew hands the progress to a fresh run with the same id. Pause and
// resume signals not read yet are applied first, so none is lost between runs.
func (s *state) continueAsNew(ctx workflow.Context) error {
	for _, name := range []string{contract.SignalPause, contract.SignalResume} {
		for {
			var sig contract.PauseSignal
			ok, err := signals.ReceiveAsync(workflow.GetSignalChannel(ctx, name), &sig)
			if !ok {
				break
			}
			if err != nil {
				s.refused.Refuse(ctx, name, err.Error())
				continue
			}
			s.setPaused(ctx, name == contract.SignalPause, sig)
		}
	}
	s.upsert(ctx, true)
	next := s.cfg
	next.Carry = s.carry(workflow.GetInfo(ctx).GetCurrentHistoryLength() + 4)
	var opts workflow.ContinueAsNewErrorOptions
	if workflow.GetInfo(ctx).GetTargetWorkerDeploymentVersionChanged() {
		// A newer build is current: the next run starts there (AutoUpgrade for its
		// first task, then Pinned to it), so a long backfill does not keep this build
		// up to its end; the carried state is the contract between the two builds.
		// Servers before 1.30 never say so, and the chain stays on its build.
		opts.InitialVersioningBehavior = workflow.ContinueAsNewVersioningBehaviorAutoUpgrade
		workflow.GetLogger(ctx).Info("continuing as new on the deployment's newer target build")
	}
	return workflow.NewContinueAsNewErrorWithOptions(ctx, opts, contract.DataBackfillWorkflow, next)
}
