package plan

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

func rangedBatch(ranges ...contract.IndexRange) contract.PartitionBatch {
	return contract.PartitionBatch{Ranges: ranges,
		Plan: &contract.PlanSpec{StartDate: "2026-01-01", EndDate: "2026-01-11", PartitionSize: contract.PartitionDay}}
}

func TestRangesRoundTripThroughExpand(t *testing.T) {
	plan, err := New(contract.BackfillConfig{StartDate: "2026-01-01", EndDate: "2026-01-11", PartitionSize: contract.PartitionDay})
	require.NoError(t, err)
	parts := []contract.Partition{plan.At(7), plan.At(2), plan.At(3), plan.At(4), plan.At(9)} // a requeued one first
	r := Ranges(parts)
	assert.Equal(t, []contract.IndexRange{{From: 7, To: 8}, {From: 2, To: 5}, {From: 9, To: 10}}, r)
	got, err := Expand(rangedBatch(r...))
	require.NoError(t, err)
	assert.Equal(t, parts, got, "same partitions, same order")
}

func TestExpandRefusesBadBatches(t *testing.T) {
	withList := rangedBatch(contract.IndexRange{From: 0, To: 1})
	withList.Partitions = []contract.Partition{{Index: 0, Key: "2026-01-01"}}
	noPlan := rangedBatch(contract.IndexRange{From: 0, To: 1})
	noPlan.Plan = nil
	badPlan := rangedBatch(contract.IndexRange{From: 0, To: 1})
	badPlan.Plan.PartitionSize = "fortnight"
	tooMany := contract.PartitionBatch{Partitions: make([]contract.Partition, contract.MaxBatchPartitions+1)}
	for name, tc := range map[string]struct {
		in    contract.PartitionBatch
		field string
	}{
		"neither":         {contract.PartitionBatch{}, "partitions"},
		"both":            {withList, "partitions"},
		"no plan":         {noPlan, "plan"},
		"bad plan":        {badPlan, "partition_size"},
		"past the plan":   {rangedBatch(contract.IndexRange{From: 8, To: 11}), "ranges[0]"},
		"negative":        {rangedBatch(contract.IndexRange{From: -1, To: 2}), "ranges[0]"},
		"empty range":     {rangedBatch(contract.IndexRange{From: 3, To: 3}), "ranges[0]"},
		"named twice":     {rangedBatch(contract.IndexRange{From: 0, To: 4}, contract.IndexRange{From: 3, To: 5}), "ranges[1]"},
		"too many listed": {tooMany, "partitions"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Expand(tc.in)
			var ve *contract.ValidationError
			require.True(t, errors.As(err, &ve), "got %v", err)
			assert.Equal(t, tc.field, ve.Field)
		})
	}
}

func TestExpandRefusesMoreThanABatchCanHold(t *testing.T) {
	in := contract.PartitionBatch{Ranges: []contract.IndexRange{{From: 0, To: contract.MaxBatchPartitions + 1}},
		Plan: &contract.PlanSpec{StartDate: "2020-01-01", EndDate: "2026-01-01", PartitionSize: contract.PartitionHour}}
	_, err := Expand(in)
	var ve *contract.ValidationError
	require.True(t, errors.As(err, &ve), "got %v", err)
	assert.Equal(t, "ranges", ve.Field)
}
