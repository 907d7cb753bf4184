package backfill

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

// TestLedgerStaysSmallAtHundredThousand finishes 100,000 partitions out of order,
// as a window of 200 does, and checks the state that continue-as-new carries and
// the status query returns stays a few kilobytes all along.
func TestLedgerStaysSmallAtHundredThousand(t *testing.T) {
	plan, err := plan.New(contract.BackfillConfig{StartDate: "2015-01-01", EndDate: "2026-05-28", PartitionSize: contract.PartitionHour})
	require.NoError(t, err)
	s := newState(contract.BackfillConfig{MaxParallel: 200, FailureBudget: 10}, plan, nil)
	s.started = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	const window = 200
	biggest := 0
	for lo := 0; lo < plan.N; lo += window {
		idx := rng.Perm(min(window, plan.N-lo))
		for k, j := range idx {
			r := contract.PartitionResult{Partition: plan.At(lo + j), Status: contract.PartitionDone, Rows: 3, Attempts: 1}
			if lo+j == 5000 {
				r.Status, r.Error = contract.PartitionFailed, "bad row"
			}
			s.ledger.record(r)
			if k == len(idx)/2 {
				b, err := json.Marshal(s.carry(100))
				require.NoError(t, err)
				biggest = max(biggest, len(b))
			}
		}
	}
	assert.Equal(t, plan.N-1, count(s.ledger.done))
	assert.Len(t, s.ledger.done, 2, "done partitions around the one failure are two ranges")
	assert.Equal(t, int64(3*(plan.N-1)), rowsOf(s.ledger.done))
	assert.Less(t, biggest, 16_000, "carried state in mid-window, bytes")
	doc, err := json.Marshal(s.summary(s.started.Add(time.Hour)))
	require.NoError(t, err)
	assert.Less(t, len(doc), 2_000, "status partitions at the end, bytes")
	for i := 0; i < plan.N; i += 997 {
		assert.True(t, s.ledger.finished(i))
	}
}

func TestAddRangeMerges(t *testing.T) {
	var rs []contract.PartitionRange
	for _, i := range []int{5, 3, 4, 9, 0, 1, 2, 8, 7, 6, 4} {
		rs = addRange(rs, i, 1, 1)
	}
	assert.Equal(t, []contract.PartitionRange{{From: 0, To: 10, Rows: 10, Attempts: 10}}, rs, "a repeated index is recorded once")
}

// TestFailuresStayBoundedWhenMostPartitionsFail fails 20,000 partitions out of
// order: the carried state and the status query stay small, every failure is
// counted and each failed partition is known as finished, with the first ones
// listed with their errors.
func TestFailuresStayBoundedWhenMostPartitionsFail(t *testing.T) {
	plan, err := plan.New(contract.BackfillConfig{StartDate: "2023-01-01", EndDate: "2026-04-11", PartitionSize: contract.PartitionHour})
	require.NoError(t, err)
	s := newState(contract.BackfillConfig{FailureBudget: 100_000}, plan, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	// Each failure at its largest: every earlier attempt's error kept, each as long
	// as a worker lets one be.
	long := strings.Repeat("x", 303)
	var earlier []contract.AttemptError
	for a := 1; a <= contract.MaxAttemptErrors+2; a++ {
		earlier = append(earlier, contract.AttemptError{Attempt: a, Error: long})
	}
	for _, i := range rng.Perm(plan.N)[:20_000] {
		s.ledger.record(contract.PartitionResult{Partition: plan.At(i), Status: contract.PartitionFailed, Error: "bad row in the source", Attempts: 7, AttemptErrors: earlier})
	}
	assert.Len(t, s.ledger.failed[0].AttemptErrors, contract.MaxAttemptErrors, "the last attempts' errors")
	assert.Equal(t, contract.MaxAttemptErrors+2, s.ledger.failed[0].AttemptErrors[contract.MaxAttemptErrors-1].Attempt)
	assert.Equal(t, 20_000, s.ledger.failedCount())
	assert.Len(t, s.ledger.failed, listedFailures)
	for k := 1; k < len(s.ledger.failed); k++ {
		require.Less(t, s.ledger.failed[k-1].Partition.Index, s.ledger.failed[k].Partition.Index, "the first failures, in order")
	}
	b, err := json.Marshal(s.carry(100))
	require.NoError(t, err)
	assert.Less(t, len(b), 400_000, "carried state, bytes (Temporal's limit is 2 MB)")
	sum := s.summary(time.Now())
	assert.Equal(t, 20_000, sum.Failed)
	assert.Equal(t, 20_000, count(sum.Ranges.Failed), "every failed partition stays queryable as ranges")

	next := newState(contract.BackfillConfig{FailureBudget: 100_000, Carry: s.carry(100)}, plan, nil)
	assert.Equal(t, 20_000, next.ledger.failedCount(), "the count crosses continue-as-new")
	old := s.carry(100)
	old.FailedRanges = nil // a carry written before failures were kept as ranges
	old.Failed = old.Failed[:3]
	assert.Equal(t, 3, newState(contract.BackfillConfig{Carry: old}, plan, nil).ledger.failedCount())
}
