package backfill

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

func config(days int) contract.BackfillConfig {
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
	return contract.BackfillConfig{
		PipelineID:      "orders",
		Source:          contract.SourceConfig{Connection: "orders", Table: "orders"},
		PartitionColumn: "order_date",
		StartDate:       "2026-01-01",
		EndDate:         end.Format("2006-01-02"),
		PartitionSize:   contract.PartitionDay,
		Destination:     contract.DestinationConfig{Table: "demo.orders_daily"},
	}
}

func newEnv(f *fakeProcessor) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	Register(env)
	f.register(env)
	return env
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) contract.BackfillResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contract.BackfillResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func queryStatus(t *testing.T, env *testsuite.TestWorkflowEnvironment) status.BackfillDocument {
	t.Helper()
	v, err := env.QueryWorkflow(contract.QueryStatus)
	require.NoError(t, err)
	var d status.BackfillDocument
	require.NoError(t, v.Get(&d))
	return d
}

func TestEveryPartitionExactlyOnceInOrder(t *testing.T) {
	f := newFake()
	env := newEnv(f)
	var order []int
	f.onBatch = func(in contract.PartitionBatch) {
		for _, p := range in.Partitions {
			order = append(order, p.Index)
		}
	}
	cfg := config(100)
	cfg.MaxParallel = 1
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, 100, res.PartitionsProcessed)
	var want int64
	for i := 0; i < 100; i++ {
		assert.Equal(t, 1, f.seen[i], "partition %d", i)
		want += rowsFor(i)
	}
	assert.Len(t, f.seen, 100)
	assert.Equal(t, want, res.TotalRows)
	for i := range order {
		assert.Equal(t, i, order[i], "a window of one hands partitions out in order")
	}
	d := queryStatus(t, env)
	assert.Equal(t, 1.0, d.Progress)
	assert.Equal(t, contract.PhaseCompleted, d.Phase)
	assert.Equal(t, []contract.PartitionRange{{From: 0, To: 100, Rows: want, Attempts: 100}}, d.Partitions.Ranges.Done,
		"100 done partitions are one range")
}

func TestWindowBoundIsNeverExceeded(t *testing.T) {
	for _, perTask := range []int{1, 3, 0} {
		f := newFake()
		f.cost = 2 * time.Millisecond
		env := newEnv(f)
		cfg := config(60)
		cfg.MaxParallel = 3
		cfg.PartitionsPerTask = perTask
		env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
		res := result(t, env)
		assert.Equal(t, 60, res.PartitionsProcessed)
		assert.LessOrEqual(t, f.maxRunning, 3, "partitions_per_task=%d", perTask)
		assert.Greater(t, f.maxRunning, 1, "the window is used, partitions_per_task=%d", perTask)
		if perTask > 0 {
			for _, n := range f.batches {
				assert.LessOrEqual(t, n, perTask)
			}
		}
	}
}

func TestAutoBatchingGrowsBatchesForTinyPartitions(t *testing.T) {
	f := newFake()
	f.cost = time.Millisecond
	env := newEnv(f)
	cfg := config(2000)
	cfg.MaxPartitions = 5000
	cfg.MaxParallel = 4
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, 2000, res.PartitionsProcessed)
	assert.Equal(t, 1, f.batches[0], "the first tasks measure one partition each")
	biggest := 0
	for _, n := range f.batches {
		biggest = max(biggest, n)
	}
	assert.Greater(t, biggest, 50, "about a second of 2 ms partitions per task")
	assert.Less(t, len(f.batches), 200, "far fewer tasks than partitions")
}

// commitBound runs 1,000 partitions that each report 30 ms of work, in batches
// whose one commit reports 300 ms, and returns the batch sizes.
func commitBound(t *testing.T) []int {
	f := newFake()
	f.reported, f.commit = 30*time.Millisecond, 300*time.Millisecond
	env := newEnv(f)
	cfg := config(1000)
	cfg.MaxParallel = 4
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	assert.Equal(t, 1000, result(t, env).PartitionsProcessed)
	return f.batches
}

func TestAutoBatchingMakesEachCommitWorthIt(t *testing.T) {
	batches := commitBound(t)
	assert.Equal(t, 1, batches[0], "the first tasks measure one partition each")
	// 9 × 300 ms / 30 ms: the commit is at most a tenth of a batch's time, down to
	// the end: besides the four first batches that measure, only the partitions
	// left over make a smaller one.
	small := 0
	for _, n := range batches {
		if n < 85 {
			small++
		}
	}
	assert.LessOrEqual(t, small, 5, "batches %v", batches)
	assert.Less(t, len(batches), 20, "batches %v", batches)
}

// runToEnd runs the workflow, following continue-as-new by hand (the test
// environment stops at it), with the history growing by 6 events per task.
func runToEnd(t *testing.T, f *fakeProcessor, cfg contract.BackfillConfig) (contract.BackfillResult, int) {
	for runs := 1; runs < 100; runs++ {
		env := newEnv(f)
		length := 10
		env.SetCurrentHistoryLength(length)
		env.SetOnActivityCompletedListener(func(*activity.Info, converter.EncodedValue, error) {
			length += 6
			env.SetCurrentHistoryLength(length)
		})
		env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
		require.True(t, env.IsWorkflowCompleted())
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			return result(t, env), runs
		}
		assert.LessOrEqual(t, length, cfg.HistoryLimit, "run %d stayed under the limit", runs)
		var next contract.BackfillConfig
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
		require.NotNil(t, next.Carry)
		assert.Equal(t, runs, next.Carry.Runs)
		cfg = next
	}
	t.Fatal("never finished")
	return contract.BackfillResult{}, 0
}

func TestContinueAsNewCarriesProgress(t *testing.T) {
	f := newFake()
	cfg := config(300)
	cfg.MaxParallel = 4
	cfg.PartitionsPerTask = 1
	cfg.HistoryLimit = 150
	f.failKeys["2026-01-05"] = true
	cfg.FailureBudget = 1
	res, runs := runToEnd(t, f, cfg)
	assert.Greater(t, runs, 5, "a 150-event limit forces several runs")
	assert.Equal(t, runs, res.Runs)
	assert.Equal(t, 299, res.PartitionsProcessed)
	assert.Equal(t, []string{"2026-01-05"}, keys(res.FailedPartitions), "failures cross runs")
	for i := 0; i < 300; i++ {
		if i != 4 {
			assert.Equal(t, 1, f.seen[i], "partition %d processed exactly once across runs", i)
		}
	}
}

func keys(ps []contract.Partition) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Key)
	}
	return out
}

func TestPauseAndResume(t *testing.T) {
	f := newFake()
	env := newEnv(f)
	cfg := config(40)
	cfg.MaxParallel = 2
	cfg.PartitionsPerTask = 1
	var atPause, duringPause int
	var once sync.Once // paused from the first batch, so no pace of this machine lets all 40 finish first
	f.onBatch = func(contract.PartitionBatch) {
		once.Do(func() {
			env.SignalWorkflow(contract.SignalPause, contract.PauseSignal{RequestedBy: "ana", Reason: "source maintenance"})
		})
	}
	env.RegisterDelayedCallback(func() {
		d := queryStatus(t, env)
		assert.Equal(t, contract.PhasePaused, d.Phase)
		assert.True(t, d.Partitions.Paused)
		assert.Equal(t, []string{contract.SignalResume}, d.PendingSignals)
		atPause = d.Partitions.Done
		assert.Less(t, atPause, 40)
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		duringPause = queryStatus(t, env).Partitions.Done
		env.UpdateWorkflow(contract.SignalResume, "resume-1", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("resume rejected: %v", err) },
			OnComplete: func(v any, err error) { assert.NoError(t, err) },
		}, contract.PauseSignal{RequestedBy: "ana"})
	}, 3*time.Hour)
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, atPause, duringPause, "nothing starts while paused")
	assert.Equal(t, 40, res.PartitionsProcessed)
}

func TestFailureBudget(t *testing.T) {
	cases := []struct {
		budget int
		fail   []string
		ok     bool
	}{
		{budget: 2, fail: []string{"2026-01-03", "2026-01-07"}, ok: true},
		{budget: 1, fail: []string{"2026-01-03", "2026-01-07"}, ok: false},
	}
	for _, c := range cases {
		f := newFake()
		for _, k := range c.fail {
			f.failKeys[k] = true
		}
		env := newEnv(f)
		cfg := config(20)
		cfg.FailureBudget = c.budget
		cfg.MaxParallel = 2
		cfg.PartitionsPerTask = 1
		late := countLateStarts(env, c.budget)
		env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
		require.True(t, env.IsWorkflowCompleted())
		if c.ok {
			res := result(t, env)
			assert.Equal(t, contract.StatusCompleted, res.Status)
			assert.Equal(t, 18, res.PartitionsProcessed)
			assert.Equal(t, c.fail, keys(res.FailedPartitions))
			assert.Equal(t, "bad row in 2026-01-03", res.Failures[0].Error)
			continue
		}
		err := env.GetWorkflowError()
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "%v", err)
		assert.Equal(t, ErrTypeBudgetExceeded, app.Type())
		assert.Contains(t, app.Error(), "more than the failure budget of 1")
		var res contract.BackfillResult
		require.NoError(t, app.Details(&res))
		assert.Equal(t, c.fail, keys(res.FailedPartitions))
		// Once the workflow has the failure over budget, no task starts but those it
		// launched before it could read that failure: at most the other slot's one.
		assert.LessOrEqual(t, *late, cfg.MaxParallel-1, "no new partitions start once the budget is spent")
	}
}

// countLateStarts counts the tasks that start after the workflow has been handed
// more failed partitions than budget. Both listeners run on the test
// environment's one event loop, in the order the workflow sees events; counting
// in the activity instead races the activity's return against the other slot.
func countLateStarts(env *testsuite.TestWorkflowEnvironment, budget int) *int {
	failed, late := 0, 0
	env.SetOnActivityCompletedListener(func(_ *activity.Info, v converter.EncodedValue, err error) {
		var out contract.BatchResult
		if err != nil || v == nil || v.Get(&out) != nil {
			return
		}
		for _, r := range out.Results {
			if r.Status == contract.PartitionFailed {
				failed++
			}
		}
	})
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) {
		if failed > budget {
			late++
		}
	})
	return &late
}

func TestBatchRetrySkipsDonePartitions(t *testing.T) {
	f := newFake()
	f.retryOnce["2026-01-04"] = true
	env := newEnv(f)
	cfg := config(6)
	cfg.PartitionsPerTask = 6
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, 6, res.PartitionsProcessed)
	for i := 0; i < 6; i++ {
		assert.Equal(t, 1, f.seen[i], "partition %d: the retried batch skipped the done ones", i)
	}
	assert.Equal(t, []int{6, 6}, f.batches, "one batch, retried once")
}

func TestPermanentTaskErrorFailsItsPartitions(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	Register(env)
	calls := 0
	env.RegisterActivityWithOptions(func(in contract.PartitionBatch) (contract.BatchResult, error) {
		calls++
		return contract.BatchResult{}, errPermanent
	}, activityName())
	cfg := config(10)
	cfg.PartitionsPerTask = 1
	cfg.MaxParallel = 2
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "source table is gone")
	assert.Equal(t, 2, calls, "the first window fails, nothing more starts")
}

func TestProgressIsNotUpsertedPerPartition(t *testing.T) {
	f := newFake()
	env := newEnv(f)
	upserts := 0
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(mock.Arguments) { upserts++ })
	cfg := config(200)
	cfg.PartitionsPerTask, cfg.MaxParallel = 1, 2
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	assert.Equal(t, 200, result(t, env).PartitionsProcessed)
	assert.LessOrEqual(t, upserts, 4, "PipelineId, PROCESSING_PARTITIONS, COMPLETED, and a few progress updates for 200 tasks")
}

func TestCancelSignalStopsTheBackfill(t *testing.T) {
	f := newFake()
	env := newEnv(f)
	cfg := config(40)
	cfg.MaxParallel = 1
	cfg.PartitionsPerTask = 1
	var once sync.Once
	// The cancel arrives while the first task runs: nothing starts after it.
	f.onBatch = func(contract.PartitionBatch) {
		once.Do(func() {
			env.SignalWorkflow(contract.SignalCancel, contract.CancelSignal{RequestedBy: "oncall", Reason: "wrong range"})
		})
	}
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, contract.StatusCancelled, res.Status)
	assert.Equal(t, "cancelled by oncall: wrong range", res.Reason)
	assert.LessOrEqual(t, res.PartitionsProcessed, 2)
	assert.Equal(t, contract.PhaseCancelled, queryStatus(t, env).Phase)
}
