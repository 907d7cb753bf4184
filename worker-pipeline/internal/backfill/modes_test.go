package backfill

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"

	"github.com/matih/ops/shared/contract"
)

func activityName() activity.RegisterOptions {
	return activity.RegisterOptions{Name: contract.ActivityProcessPartition}
}

// The reprocess mode is decided per partition by process_partition against what the
// table recorded (tested in package partition); the workflow passes the mode on and
// counts skipped partitions apart from processed ones.
func TestReprocessModes(t *testing.T) {
	for _, mode := range []string{"", contract.ReprocessMissing, contract.ReprocessFailed, contract.ReprocessAll} {
		f := newFake()
		f.skipKeys["2026-01-02"], f.skipKeys["2026-01-05"] = true, true
		env := newEnv(f)
		cfg := config(8)
		cfg.Reprocess = mode
		env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
		res := result(t, env)
		want := mode
		if want == "" {
			want = contract.ReprocessAll
		}
		for _, m := range f.modes {
			assert.Equal(t, want, m)
		}
		assert.Equal(t, 6, res.PartitionsProcessed, mode)
		assert.Equal(t, 2, res.PartitionsSkipped, mode)
		d := queryStatus(t, env)
		assert.Equal(t, []contract.PartitionRange{{From: 1, To: 2, Attempts: 1}, {From: 4, To: 5, Attempts: 1}}, d.Partitions.Ranges.Skipped)
		assert.Equal(t, 1.0, d.Progress)
	}
}

func TestOnlyPartitionsRerunsJustThose(t *testing.T) {
	f := newFake()
	env := newEnv(f)
	cfg := config(60)
	cfg.OnlyPartitions = []string{"2026-02-01", "2026-01-10", "2026-01-11"}
	env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
	res := result(t, env)
	assert.Equal(t, 3, res.PartitionsProcessed)
	assert.Equal(t, map[int]int{9: 1, 10: 1, 31: 1}, f.seen)
}

func TestInvalidConfigs(t *testing.T) {
	cases := map[string]func(c *contract.BackfillConfig){
		"end_date":            func(c *contract.BackfillConfig) { c.EndDate = "2025-12-01" },
		"partition_size":      func(c *contract.BackfillConfig) { c.PartitionSize = "" },
		"max_parallel":        func(c *contract.BackfillConfig) { c.MaxParallel = 5000 },
		"reprocess":           func(c *contract.BackfillConfig) { c.Reprocess = "some" },
		"only_partitions":     func(c *contract.BackfillConfig) { c.OnlyPartitions = []string{"2027-01-01"} },
		"history_limit":       func(c *contract.BackfillConfig) { c.HistoryLimit = 10 },
		"destination.table":   func(c *contract.BackfillConfig) { c.Destination.Table = "orders" },
		"partition_column":    func(c *contract.BackfillConfig) { c.PartitionColumn = "order date" },
		"partitions_per_task": func(c *contract.BackfillConfig) { c.PartitionsPerTask = -1 },
	}
	for field, mutate := range cases {
		t.Run(field, func(t *testing.T) {
			f := newFake()
			env := newEnv(f)
			cfg := config(10)
			mutate(&cfg)
			env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
			err := env.GetWorkflowError()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "invalid "+field)
			assert.Empty(t, f.batches, "nothing ran")
		})
	}
	t.Run("max_partitions", func(t *testing.T) {
		f := newFake()
		env := newEnv(f)
		cfg := config(10)
		cfg.PartitionSize = contract.PartitionHour
		cfg.MaxPartitions = 100
		env.ExecuteWorkflow(contract.DataBackfillWorkflow, cfg)
		require.ErrorContains(t, env.GetWorkflowError(), "at most 100 hour partitions")
	})
}
