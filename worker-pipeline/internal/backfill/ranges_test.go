package backfill

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// rangedRun runs 200 daily partitions, some failing, some skipped and one retried,
// and returns what the workflow ended with and every task's input as it was sent.
func rangedRun(t *testing.T) (contract.BackfillResult, status.BackfillDocument, []contract.PartitionBatch) {
	t.Helper()
	f := newFake()
	f.failKeys["2026-01-05"], f.failKeys["2026-03-01"] = true, true
	f.skipKeys["2026-01-10"], f.skipKeys["2026-01-11"], f.skipKeys["2026-06-01"] = true, true, true
	f.retryOnce["2026-02-02"] = true
	env := newEnv(f)
	cfg := config(200)
	cfg.MaxParallel, cfg.PartitionsPerTask, cfg.FailureBudget = 3, 25, 5
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	return result(t, env), queryStatus(t, env), f.sent
}

func TestBatchesNamePartitionsAsRangesOfThePlan(t *testing.T) {
	res, _, sent := rangedRun(t)
	require.NotEmpty(t, sent)
	for _, in := range sent {
		assert.Empty(t, in.Partitions, "a ranged batch lists no partition")
		require.NotNil(t, in.Plan)
		assert.Equal(t, contract.PlanSpec{StartDate: "2026-01-01", EndDate: "2026-07-20", PartitionSize: contract.PartitionDay}, *in.Plan)
		n := 0
		for _, r := range in.Ranges {
			n += r.To - r.From
		}
		assert.LessOrEqual(t, n, 25)
	}
	assert.Contains(t, ranges(sent), []contract.IndexRange{{From: 0, To: 25}}, "consecutive partitions are one range")
	assert.Equal(t, 195, res.PartitionsProcessed)
	assert.Equal(t, 3, res.PartitionsSkipped)
	assert.Equal(t, 2, res.PartitionsFailed)
	require.Len(t, res.Failures, 2)
	assert.Equal(t, "bad row in 2026-01-05", res.Failures[0].Error, "a failed partition keeps its error")
}

// A ranged run's ledger counts each partition's attempts: a retried batch's
// partitions that its first attempt finished keep one attempt.
func TestRangedBatchesCountAttemptsPerPartition(t *testing.T) {
	_, ranged, _ := rangedRun(t)
	var attempts int
	for _, r := range ranged.Partitions.Ranges.Done {
		attempts += r.Attempts
	}
	// The batch 25..49 failed at 2026-02-02 (32) once: 25..31 were done in the
	// first attempt, as its heartbeat said; 32..49 count their second.
	assert.Equal(t, 195+18, attempts)
}

func ranges(sent []contract.PartitionBatch) [][]contract.IndexRange {
	out := make([][]contract.IndexRange, len(sent))
	for i, in := range sent {
		out[i] = in.Ranges
	}
	return out
}
