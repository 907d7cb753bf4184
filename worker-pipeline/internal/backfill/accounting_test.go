package backfill

import (
	"testing"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
	"go.temporal.io/sdk/temporal"
)

// TestATaskThatTimedOutKeepsThePartitionsItCommitted: the worker crashed on the
// last attempt after committing two of three partitions, as its heartbeat says.
// Those two count as done; the third goes back to the queue, and counts as failed
// once every task holding it lost its worker (see lost_test.go).
func TestATaskThatTimedOutKeepsThePartitionsItCommitted(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	Register(env)
	env.RegisterActivityWithOptions(func(in contract.PartitionBatch) (contract.BatchResult, error) {
		return contract.BatchResult{}, nil
	}, activityName())
	env.OnActivity(contract.ActivityProcessPartition, mock.Anything).Return(
		func(in contract.PartitionBatch) (contract.BatchResult, error) {
			hb := contract.BatchResult{}
			parts, err := plan.Expand(in)
			require.NoError(t, err)
			for _, p := range parts {
				if p.Index >= 2 {
					continue
				}
				hb.Results = append(hb.Results, contract.PartitionResult{Partition: p, Status: contract.PartitionDone, Rows: 7, Attempts: 3})
			}
			return contract.BatchResult{}, temporal.NewHeartbeatTimeoutError(hb)
		})
	cfg := config(3)
	cfg.PartitionsPerTask = 3
	cfg.FailureBudget = 5
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, 2, res.PartitionsProcessed, "committed before the crash: done")
	assert.Equal(t, int64(14), res.TotalRows)
	assert.Equal(t, 1, res.PartitionsFailed)
	require.Len(t, res.FailedPartitions, 1)
	assert.Equal(t, "2026-01-03", res.FailedPartitions[0].Key)
	assert.Contains(t, res.Failures[0].Error, "tasks lost their worker on every attempt")
}

// TestAnUndecodableSignalNeitherStallsNorHidesFromTheBackfill sends pause with a
// payload that is not a pause, then cancels through Temporal: the refusal shows in
// status, work goes on, and the cancellation is heard.
func TestAnUndecodableSignalNeitherStallsNorHidesFromTheBackfill(t *testing.T) {
	f := newFake()
	f.cost = time.Millisecond
	env := newEnv(f)
	cfg := config(60)
	cfg.PartitionsPerTask, cfg.MaxParallel = 1, 1
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.SignalPause, "x") }, time.Millisecond)
	var d contract.SignalRefusals
	env.RegisterDelayedCallback(func() {
		doc := queryStatus(t, env)
		require.NotNil(t, doc.RefusedSignals)
		d = *doc.RefusedSignals
		assert.Equal(t, contract.PhaseProcessing, doc.Phase, "not paused, not stalled")
		env.CancelWorkflow()
	}, 20*time.Millisecond)
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, contract.StatusCancelled, res.Status, "the cancellation after the bad signal was heard")
	assert.Equal(t, 1, d.Count)
	assert.Equal(t, contract.SignalPause, d.Last.Name)
	assert.Contains(t, d.Last.Reason, "does not decode")
}
