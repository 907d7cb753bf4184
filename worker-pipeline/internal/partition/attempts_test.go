package partition

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
)

// run executes a batch with the heartbeat an earlier attempt left, and returns the
// result, the error, and the last heartbeat this attempt recorded.
func (f *fixture) runAfter(b contract.PartitionBatch, earlier contract.BatchResult) (contract.BatchResult, error, contract.BatchResult) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(f.proc.ProcessPartition, activity.RegisterOptions{Name: contract.ActivityProcessPartition})
	env.SetHeartbeatDetails(earlier)
	var last contract.BatchResult
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		require.NoError(f.t, d.Get(&last))
	})
	v, err := env.ExecuteActivity(contract.ActivityProcessPartition, b)
	var out contract.BatchResult
	if err == nil {
		require.NoError(f.t, v.Get(&out))
	}
	return out, err, last
}

// An attempt that fails leaves its error in the heartbeat the next attempt starts
// from, after those of the attempts before it.
func TestAFailedAttemptLeavesItsErrorToTheNext(t *testing.T) {
	f := newFixture(t)
	// Staging cannot be written for a while: a file stands where its folder was.
	require.NoError(t, os.RemoveAll(f.staging))
	require.NoError(t, os.WriteFile(f.staging, nil, 0o600))
	earlier := contract.BatchResult{AttemptErrors: []contract.AttemptError{{Attempt: 1, Error: "object store: 503"}}}
	_, err, last := f.runAfter(f.batch(contract.ReprocessAll, 0, 1), earlier)
	require.Error(t, err, "the attempt fails and is retried")
	require.Len(t, last.AttemptErrors, 2, "the earlier attempt's error and this one's")
	assert.Equal(t, earlier.AttemptErrors[0], last.AttemptErrors[0])
	assert.Equal(t, 1, last.AttemptErrors[1].Attempt, "the test environment runs attempt 1")
	assert.NotEmpty(t, last.AttemptErrors[1].Error)
}

// A partition that fails for good names the earlier attempts' errors beside its own.
func TestAFailedPartitionNamesEveryAttemptsError(t *testing.T) {
	f := newFixture(t)
	f.exec("UPDATE orders SET amount = 'unreadable' WHERE order_date = '2026-01-02'")
	earlier := contract.BatchResult{AttemptErrors: []contract.AttemptError{{Attempt: 1, Error: "object store: 503"}, {Attempt: 2, Error: "worker lost"}}}
	out, err, _ := f.runAfter(f.batch(contract.ReprocessAll, 0, 1, 2), earlier)
	require.NoError(t, err)
	require.Len(t, out.Results, 3)
	assert.Equal(t, contract.PartitionDone, out.Results[0].Status)
	assert.Empty(t, out.Results[0].AttemptErrors, "a done partition carries none")
	failed := out.Results[1]
	require.Equal(t, contract.PartitionFailed, failed.Status)
	assert.Equal(t, earlier.AttemptErrors, failed.AttemptErrors)
	assert.Contains(t, failed.Error, "amount")
}

func TestAFailureKeepsTheLastAttemptErrors(t *testing.T) {
	var errs []contract.AttemptError
	for i := 1; i <= 7; i++ {
		errs = keepAttemptErrors(errs, contract.AttemptError{Attempt: i, Error: "e"})
	}
	require.Len(t, errs, contract.MaxAttemptErrors)
	assert.Equal(t, 7-contract.MaxAttemptErrors+1, errs[0].Attempt)
	assert.Equal(t, 7, errs[len(errs)-1].Attempt)
	assert.Len(t, shortError(string(make([]byte, 1000))), 303)
}
