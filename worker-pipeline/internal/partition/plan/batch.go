package plan

import (
	"fmt"

	"github.com/matih/ops/shared/contract"
)

// Spec is what a ranged batch carries so that a worker can rebuild this plan.
func Spec(cfg contract.BackfillConfig) *contract.PlanSpec {
	return &contract.PlanSpec{StartDate: cfg.StartDate, EndDate: cfg.EndDate, PartitionSize: cfg.PartitionSize, MaxPartitions: cfg.MaxPartitions}
}

// Ranges names parts (in their order) as index ranges: runs of consecutive
// indexes become one range.
func Ranges(parts []contract.Partition) []contract.IndexRange {
	var out []contract.IndexRange
	for _, p := range parts {
		if n := len(out); n > 0 && out[n-1].To == p.Index {
			out[n-1].To++
			continue
		}
		out = append(out, contract.IndexRange{From: p.Index, To: p.Index + 1})
	}
	return out
}

// Expand lists the partitions of a batch: as given, or rebuilt from its plan and
// index ranges. It refuses a batch that gives both or neither, ranges outside the
// plan, a partition named twice, and more than contract.MaxBatchPartitions.
func Expand(in contract.PartitionBatch) ([]contract.Partition, error) {
	if !in.Ranged() {
		if len(in.Partitions) == 0 {
			return nil, contract.Invalid("partitions", "at least one partition")
		}
		if len(in.Partitions) > contract.MaxBatchPartitions {
			return nil, contract.Invalid("partitions", "at most %d, got %d", contract.MaxBatchPartitions, len(in.Partitions))
		}
		return in.Partitions, nil
	}
	if len(in.Partitions) > 0 {
		return nil, contract.Invalid("partitions", "empty when ranges are given, got %d", len(in.Partitions))
	}
	if in.Plan == nil {
		return nil, contract.Invalid("plan", "the backfill's plan, required with ranges")
	}
	plan, err := New(contract.BackfillConfig{StartDate: in.Plan.StartDate, EndDate: in.Plan.EndDate,
		PartitionSize: in.Plan.PartitionSize, MaxPartitions: in.Plan.MaxPartitions})
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	var parts []contract.Partition
	seen := map[int]bool{}
	for k, r := range in.Ranges {
		if r.From < 0 || r.To > plan.N || r.From >= r.To {
			return nil, contract.Invalid(fmt.Sprintf("ranges[%d]", k), "from < to within the plan's %d partitions, got [%d, %d)", plan.N, r.From, r.To)
		}
		if len(parts)+r.To-r.From > contract.MaxBatchPartitions {
			return nil, contract.Invalid("ranges", "at most %d partitions in all", contract.MaxBatchPartitions)
		}
		for i := r.From; i < r.To; i++ {
			if seen[i] {
				return nil, contract.Invalid(fmt.Sprintf("ranges[%d]", k), "partitions named once, got %d twice", i)
			}
			seen[i] = true
			parts = append(parts, plan.At(i))
		}
	}
	return parts, nil
}
