package partition

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

// A ranged batch runs as a listed one does and is answered as ranges.
func TestARangedBatchIsProcessedAndAnsweredAsRanges(t *testing.T) {
	f := newFixture(t)
	b := f.batch(contract.ReprocessAll)
	b.Ranges = []contract.IndexRange{{From: 2, To: 5}, {From: 7, To: 8}}
	b.Plan = &contract.PlanSpec{StartDate: "2026-01-01", EndDate: "2026-01-11", PartitionSize: contract.PartitionDay}
	out, err := f.run(b, nil)
	require.NoError(t, err)
	assert.Empty(t, out.Results, "nothing failed, nothing listed")
	require.Len(t, out.Done, 2)
	assert.Equal(t, contract.PartitionRange{From: 2, To: 5, Rows: f.sourceRows(2) + f.sourceRows(3) + f.sourceRows(4), Attempts: 3}, out.Done[0])
	assert.Equal(t, contract.PartitionRange{From: 7, To: 8, Rows: f.sourceRows(7), Attempts: 1}, out.Done[1])
	assert.Positive(t, out.Work.D())
	assert.Positive(t, out.Commit.D())
	for _, i := range []int{2, 3, 4, 7} {
		assert.Equal(t, f.sourceRows(i), f.tableRows(i), "partition %d", i)
	}
	assert.Zero(t, f.tableRows(5))
	// Run again with reprocess: missing: all four are skipped, as one range each run.
	b.Reprocess = contract.ReprocessMissing
	again, err := f.run(b, nil)
	require.NoError(t, err)
	assert.Empty(t, again.Done)
	assert.Equal(t, []contract.PartitionRange{{From: 2, To: 5, Attempts: 3}, {From: 7, To: 8, Attempts: 1}}, again.Skipped)
}
