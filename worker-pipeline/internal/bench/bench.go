// Package bench holds what the backfill benchmark (scripts/bench.sh backfill) runs
// besides DataBackfillWorkflow itself: the seed's sequential loop as a
// benchmark-only workflow, the no-op activity ceiling, and a process_partition of
// known cost. None of it is registered by the worker binary.
package bench

import (
	"context"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
)

// Names of the benchmark-only workflows and activity.
const (
	SeedWorkflow    = "BenchSeedBackfill"
	CeilingWorkflow = "BenchNoopCeiling"
	NoopActivity    = "bench_noop"
)

// FixedCost stands in for process_partition with a known cost per partition, so the
// benchmark measures orchestration, not the source. It waits Cost per partition (the
// shape of I/O-bound work: the worker's CPU stays free) and keeps the real
// activity's contract: heartbeat details with the partitions done, results per
// partition with their duration.
type FixedCost struct {
	Cost time.Duration
}

// Process handles one batch.
func (f *FixedCost) Process(ctx context.Context, in contract.PartitionBatch) (contract.BatchResult, error) {
	parts, err := plan.Expand(in)
	if err != nil {
		return contract.BatchResult{}, err
	}
	var out contract.BatchResult
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &out)
	}
	if len(out.Results) > len(parts) {
		out = contract.BatchResult{}
	}
	for _, p := range parts[len(out.Results):] {
		start := time.Now()
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(f.Cost):
		}
		out.Results = append(out.Results, contract.PartitionResult{Partition: p, Status: contract.PartitionDone, Rows: 1,
			Duration: contract.Duration(time.Since(start)), Attempts: int(activity.GetInfo(ctx).Attempt)})
		activity.RecordHeartbeat(ctx, out)
	}
	if in.Ranged() {
		out = out.Compacted()
	}
	return out, nil
}

// Noop does nothing: the server round trip is all an activity costs here.
func Noop(context.Context) error { return nil }

// SeedBackfill is the seed's DataBackfillWorkflow written in Go: one partition at a
// time, one activity each, with the seed's retry policy.
func SeedBackfill(ctx workflow.Context, cfg contract.BackfillConfig) (contract.BackfillResult, error) {
	parts, err := plan.Generate(cfg)
	if err != nil {
		return contract.BackfillResult{}, err
	}
	started := workflow.Now(ctx)
	actx := retry.WithActivityOptions(ctx, contract.ActivityProcessPartition)
	var res contract.BackfillResult
	for _, p := range parts {
		in := contract.PartitionBatch{BackfillID: workflow.GetInfo(ctx).WorkflowExecution.ID, PipelineID: cfg.PipelineID,
			Source: cfg.Source, PartitionColumn: cfg.PartitionColumn, Destination: cfg.Destination, Partitions: []contract.Partition{p}}
		var out contract.BatchResult
		if err := workflow.ExecuteActivity(actx, contract.ActivityProcessPartition, in).Get(ctx, &out); err != nil {
			return res, err
		}
		res.PartitionsProcessed++
		for _, r := range out.Results {
			res.TotalRows += r.Rows
		}
	}
	res.Status = contract.StatusCompleted
	res.Elapsed = contract.Duration(workflow.Now(ctx).Sub(started))
	res.Runs, res.LongestHistory = 1, workflow.GetInfo(ctx).GetCurrentHistoryLength()+2
	return res, nil
}

// NoopCeiling runs n no-op activities with at most window in flight: the most
// one-activity-per-partition work this server and worker can do at that window.
func NoopCeiling(ctx workflow.Context, n, window int) (time.Duration, error) {
	started := workflow.Now(ctx)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: contract.PipelineQueue, StartToCloseTimeout: time.Minute})
	sel := workflow.NewSelector(ctx)
	inflight, launched := 0, 0
	var firstErr error
	for launched < n || inflight > 0 {
		for inflight < window && launched < n {
			sel.AddFuture(workflow.ExecuteActivity(actx, NoopActivity), func(f workflow.Future) {
				inflight--
				if err := f.Get(ctx, nil); err != nil && firstErr == nil {
					firstErr = err
				}
			})
			inflight++
			launched++
		}
		sel.Select(ctx)
	}
	return workflow.Now(ctx).Sub(started), firstErr
}

// Register adds the benchmark's workflows and activities to a worker.
func Register(w interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}, f *FixedCost) {
	w.RegisterWorkflowWithOptions(SeedBackfill, workflow.RegisterOptions{Name: SeedWorkflow})
	w.RegisterWorkflowWithOptions(NoopCeiling, workflow.RegisterOptions{Name: CeilingWorkflow})
	w.RegisterActivityWithOptions(Noop, activity.RegisterOptions{Name: NoopActivity})
	w.RegisterActivityWithOptions(f.Process, activity.RegisterOptions{Name: contract.ActivityProcessPartition})
}
