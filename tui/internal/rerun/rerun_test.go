package rerun

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

func doc(st string, total, done, failed, skipped int) status.Document {
	p := &status.PartitionSummary{Total: total, Done: done, Failed: failed, Skipped: skipped}
	for i := 0; i < failed; i++ {
		p.Failures = append(p.Failures, contract.PartitionFailure{Partition: contract.Partition{Key: "2026-01-0" + string(rune('1'+i))}, Attempts: 3, Error: "boom"})
	}
	return status.Document{Status: st, Partitions: p}
}

func TestAPlanTakesWhatAClosedBackfillLeftUndone(t *testing.T) {
	_, ok := PlanOf(doc(status.WorkflowRunning, 10, 2, 1, 0))
	assert.False(t, ok, "a running backfill has no rerun")
	_, ok = PlanOf(doc(status.WorkflowCompleted, 10, 8, 0, 2))
	assert.False(t, ok, "nothing failed or missing")
	_, ok = PlanOf(status.Document{Status: status.WorkflowCompleted})
	assert.False(t, ok, "not a backfill")

	p, ok := PlanOf(doc(status.WorkflowFailed, 10, 5, 4, 0))
	assert.True(t, ok)
	assert.Equal(t, Plan{Reprocess: contract.ReprocessMissing, Failed: 4, Missing: 1, Done: 5, FirstFailedKeys: []string{"2026-01-01", "2026-01-02", "2026-01-03"}}, p)
	assert.Equal(t, "a new run (reprocess: missing) takes 4 failed and 1 never run partitions; 5 done stay (failed: 2026-01-01, 2026-01-02, 2026-01-03, …)", p.Preview())

	p, _ = PlanOf(doc(status.WorkflowCompleted, 100000, 99998, 2, 0))
	assert.Equal(t, contract.ReprocessFailed, p.Reprocess)
	assert.Equal(t, "a new run (reprocess: failed) takes 2 failed partitions; 99,998 done stay (failed: 2026-01-01, 2026-01-02)", p.Preview())
}
