package backfill

import (
	"sort"
	"strings"

	"github.com/matih/ops/shared/contract"
)

// ledger is the compact per-partition state: finished partitions as merged ranges of
// consecutive indexes, and the failures with their errors for the first
// listedFailures of them. Everything not in it is pending or running. It is what
// continue-as-new carries, so it must stay small at 100,000 partitions, even when
// most of them fail.
type ledger struct {
	done       []contract.PartitionRange
	skipped    []contract.PartitionRange
	failedAt   []contract.PartitionRange   // every failed partition
	failed     []contract.PartitionFailure // the first listedFailures, in index order
	failedMore bool                        // failures beyond those listed
}

// listedFailures bounds the failures kept with their errors; the rest are counted
// and kept as ranges, which status shows and reprocess: failed rereads from the
// table's markers.
const listedFailures = 100

// restoreFailures rebuilds the failure ranges of a carry from before they were kept,
// when the list held every failure.
func restoreFailures(ranges []contract.PartitionRange, listed []contract.PartitionFailure) []contract.PartitionRange {
	if ranges != nil {
		return ranges
	}
	for _, f := range listed {
		ranges = addRange(ranges, f.Partition.Index, 0, max(f.Attempts, 1))
	}
	return ranges
}

// count is the number of partitions in ranges.
func count(rs []contract.PartitionRange) int {
	n := 0
	for _, r := range rs {
		n += r.To - r.From
	}
	return n
}

func rowsOf(rs []contract.PartitionRange) int64 {
	var n int64
	for _, r := range rs {
		n += r.Rows
	}
	return n
}

// addRange records partition i in rs, merging it with its neighbours.
func addRange(rs []contract.PartitionRange, i int, rows int64, attempts int) []contract.PartitionRange {
	k := sort.Search(len(rs), func(k int) bool { return rs[k].From > i })
	// rs[k-1] starts at or before i; rs[k] starts after i.
	if k > 0 && rs[k-1].To > i {
		return rs // already recorded
	}
	joinLeft := k > 0 && rs[k-1].To == i
	joinRight := k < len(rs) && rs[k].From == i+1
	switch {
	case joinLeft && joinRight:
		rs[k-1].To = rs[k].To
		rs[k-1].Rows += rows + rs[k].Rows
		rs[k-1].Attempts += attempts + rs[k].Attempts
		return append(rs[:k], rs[k+1:]...)
	case joinLeft:
		rs[k-1].To++
		rs[k-1].Rows += rows
		rs[k-1].Attempts += attempts
		return rs
	case joinRight:
		rs[k].From--
		rs[k].Rows += rows
		rs[k].Attempts += attempts
		return rs
	}
	rs = append(rs, contract.PartitionRange{})
	copy(rs[k+1:], rs[k:])
	rs[k] = contract.PartitionRange{From: i, To: i + 1, Rows: rows, Attempts: attempts}
	return rs
}

func inRanges(rs []contract.PartitionRange, i int) bool {
	if len(rs) == 0 {
		return false
	}
	k := sort.Search(len(rs), func(k int) bool { return rs[k].From > i })
	return k > 0 && rs[k-1].To > i
}

// finished tells whether partition i needs no more work.
func (l *ledger) finished(i int) bool {
	return inRanges(l.done, i) || inRanges(l.skipped, i) || inRanges(l.failedAt, i)
}

// record applies one partition's result.
func (l *ledger) record(r contract.PartitionResult) {
	switch r.Status {
	case contract.PartitionDone:
		l.done = addRange(l.done, r.Partition.Index, r.Rows, max(r.Attempts, 1))
	case contract.PartitionSkipped:
		l.skipped = addRange(l.skipped, r.Partition.Index, 0, max(r.Attempts, 1))
	default:
		l.fail(contract.PartitionFailure{Partition: r.Partition, Attempts: max(r.Attempts, 1), Error: short(r.Error),
			AttemptErrors: earlierErrors(r.AttemptErrors)})
	}
}

func (l *ledger) fail(f contract.PartitionFailure) {
	if l.finished(f.Partition.Index) {
		return
	}
	l.failedAt = addRange(l.failedAt, f.Partition.Index, 0, max(f.Attempts, 1))
	k := sort.Search(len(l.failed), func(k int) bool { return l.failed[k].Partition.Index > f.Partition.Index })
	if k >= listedFailures {
		return
	}
	l.failed = append(l.failed, contract.PartitionFailure{})
	copy(l.failed[k+1:], l.failed[k:])
	l.failed[k] = f
	if len(l.failed) > listedFailures {
		l.failed = l.failed[:listedFailures]
	}
}

// failedCount is how many partitions failed, listed or not.
func (l *ledger) failedCount() int { return count(l.failedAt) }

// earlierErrors keeps the last contract.MaxAttemptErrors of a failed partition's
// earlier attempts' errors, each shorter than its last error may be: the first
// failures travel in every continue-as-new.
func earlierErrors(errs []contract.AttemptError) []contract.AttemptError {
	errs = errs[max(0, len(errs)-contract.MaxAttemptErrors):]
	out := make([]contract.AttemptError, len(errs))
	for i, e := range errs {
		out[i] = contract.AttemptError{Attempt: e.Attempt, Error: strings.ToValidUTF8(e.Error[:min(len(e.Error), 200)], "")}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// short keeps errors small in history and queries.
func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func (l *ledger) finishedCount() int { return count(l.done) + count(l.skipped) + l.failedCount() }
