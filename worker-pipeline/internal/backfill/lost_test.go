package backfill

import (
	"sync"
	"testing"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
)

// losingEnv runs process_partition as lose says: an attempt (the n-th call) for
// which lose returns true ends as its worker was lost (a heartbeat timeout), after
// heartbeating the first `committed` partitions done; any other finishes them all.
func losingEnv(t *testing.T, committed int, lose func(call int, parts []contract.Partition) bool) (*testsuite.TestWorkflowEnvironment, *[]int) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	Register(env)
	env.RegisterActivityWithOptions(func(in contract.PartitionBatch) (contract.BatchResult, error) {
		return contract.BatchResult{}, nil
	}, activityName())
	var mu sync.Mutex
	var sizes []int
	env.OnActivity(contract.ActivityProcessPartition, mock.Anything).Return(
		func(in contract.PartitionBatch) (contract.BatchResult, error) {
			parts, err := plan.Expand(in)
			require.NoError(t, err)
			mu.Lock()
			sizes = append(sizes, len(parts))
			task := len(sizes)
			mu.Unlock()
			var res contract.BatchResult
			n := len(parts)
			if lose(task, parts) {
				n = min(committed, len(parts))
			}
			for _, p := range parts[:n] {
				res.Results = append(res.Results, contract.PartitionResult{Partition: p, Status: contract.PartitionDone, Rows: 7, Attempts: 1})
			}
			if n < len(parts) {
				return contract.BatchResult{}, temporal.NewHeartbeatTimeoutError(res)
			}
			return res, nil
		})
	return env, &sizes
}

func retryPolicyAttempts() int32 {
	return retry.PolicyFor(contract.ActivityProcessPartition).MaximumAttempts
}

// TestALostTaskHandsItsPartitionsBack: the first task's worker dies after
// committing two of three partitions; the third goes back to the queue and is done
// by the next task, so nothing counts against a failure budget of 0.
func TestALostTaskHandsItsPartitionsBack(t *testing.T) {
	attempts := int(retryPolicyAttempts())
	env, sizes := losingEnv(t, 2, func(call int, _ []contract.Partition) bool { return call <= attempts })
	cfg := config(3)
	cfg.PartitionsPerTask = 3
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, 3, res.PartitionsProcessed)
	assert.Equal(t, int64(21), res.TotalRows)
	assert.Zero(t, res.PartitionsFailed)
	require.Len(t, *sizes, attempts+1, "the task's attempts, then one more task")
	assert.Equal(t, 1, (*sizes)[attempts], "the lost task's last partition ran again, alone")
}

// TestAPartitionThatAlwaysLosesItsWorkerFailsAfterTheLimit: a partition that kills
// every worker it runs on (out of memory, say) is tried in lostLimit+1 tasks, then
// counts as failed, naming why; the other partitions finish.
func TestAPartitionThatAlwaysLosesItsWorkerFailsAfterTheLimit(t *testing.T) {
	attemptsOfPoison := 0
	env, _ := losingEnv(t, 0, func(_ int, parts []contract.Partition) bool {
		for _, p := range parts {
			if p.Key == "2026-01-02" {
				attemptsOfPoison++
				return true
			}
		}
		return false
	})
	cfg := config(3)
	cfg.PartitionsPerTask = 1
	cfg.FailureBudget = 1
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, 2, res.PartitionsProcessed)
	require.Equal(t, 1, res.PartitionsFailed)
	require.Len(t, res.Failures, 1)
	assert.Equal(t, "2026-01-02", res.Failures[0].Partition.Key)
	assert.Contains(t, res.Failures[0].Error, "4 tasks lost their worker on every attempt")
	assert.Equal(t, (lostLimit+1)*int(retryPolicyAttempts()), attemptsOfPoison, "every attempt of lostLimit+1 tasks")
	// Attempts per task come from the error's retry state (the test environment
	// reports fewer than the server), so only the tasks are certain.
	assert.GreaterOrEqual(t, res.Failures[0].Attempts, lostLimit+1)
}
