// Package plan splits a backfill into time partitions: the deterministic plan the
// workflow walks, and the index ranges a batch names its partitions by. It is pure
// logic, imported by the workflow and by the process_partition activity alike.
package plan

import (
	"time"

	"github.com/matih/ops/shared/contract"
)

// Plan is the deterministic list of partitions of a backfill. Partitions are computed
// from their index, so a plan of 100,000 partitions costs no memory and every run
// (and every replay) sees the same ones.
type Plan struct {
	Start time.Time
	End   time.Time
	Size  string
	N     int
}

// New checks the range and size and counts the partitions. It rejects an end
// before the start, an unknown or empty size, and more partitions than allowed.
func New(cfg contract.BackfillConfig) (Plan, error) {
	start, err := contract.ParseDate("start_date", cfg.StartDate)
	if err != nil {
		return Plan{}, err
	}
	end, err := contract.ParseDate("end_date", cfg.EndDate)
	if err != nil {
		return Plan{}, err
	}
	if !end.After(start) {
		return Plan{}, contract.Invalid("end_date", "after start_date (%s), got %s", cfg.StartDate, cfg.EndDate)
	}
	p := Plan{Start: start, End: end, Size: cfg.PartitionSize}
	switch cfg.PartitionSize {
	case contract.PartitionHour, contract.PartitionDay, contract.PartitionWeek:
		step := p.step()
		p.N = int((end.Sub(start) + step - 1) / step)
	case contract.PartitionMonth:
		if start.Day() > 28 {
			return Plan{}, contract.Invalid("start_date", "a day from 1 to 28 for monthly partitions (months differ in length), got %s", cfg.StartDate)
		}
		months := (end.Year()-start.Year())*12 + int(end.Month()-start.Month())
		p.N = max(months, 0)
		for p.boundary(p.N).Before(end) {
			p.N++
		}
	case "":
		return Plan{}, contract.Invalid("partition_size", "required: one of hour, day, week, month")
	default:
		return Plan{}, contract.Invalid("partition_size", "one of hour, day, week, month, got %q", cfg.PartitionSize)
	}
	limit := cfg.MaxPartitions
	if limit <= 0 {
		limit = contract.DefaultMaxPartitions
	}
	if p.N > limit {
		return Plan{}, contract.Invalid("end_date", "at most %d %s partitions from %s (max_partitions), got %d", limit, p.Size, cfg.StartDate, p.N)
	}
	return p, nil
}

// step is the fixed length of hour, day and week partitions.
func (p Plan) step() time.Duration {
	switch p.Size {
	case contract.PartitionHour:
		return time.Hour
	case contract.PartitionWeek:
		return 7 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// boundary is the start of partition i (which may lie beyond End for i == N).
func (p Plan) boundary(i int) time.Time {
	if p.Size == contract.PartitionMonth {
		return p.Start.AddDate(0, i, 0)
	}
	return p.Start.Add(time.Duration(i) * p.step())
}

// At returns partition i; the last one ends at End.
func (p Plan) At(i int) contract.Partition {
	start, end := p.boundary(i), p.boundary(i+1)
	if end.After(p.End) {
		end = p.End
	}
	return contract.Partition{Index: i, Key: p.key(start), Start: start, End: end}
}

// key names a partition the way people write it: 2026-01-02T05, 2026-01-02, 2026-01.
func (p Plan) key(t time.Time) string {
	switch p.Size {
	case contract.PartitionHour:
		return t.Format("2006-01-02T15")
	case contract.PartitionMonth:
		if p.Start.Day() == 1 {
			return t.Format("2006-01")
		}
	}
	return t.Format("2006-01-02")
}

// All lists every partition in order.
func (p Plan) All() []contract.Partition {
	out := make([]contract.Partition, p.N)
	for i := range out {
		out[i] = p.At(i)
	}
	return out
}

// Generate is the seed's generate_partitions: start_date to end_date in steps of
// partition_size, in order, each exactly once.
func Generate(cfg contract.BackfillConfig) ([]contract.Partition, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return p.All(), nil
}

// Select returns the indexes of the keys in only (in plan order), or an error naming
// the first key that is not a partition of the plan.
func (p Plan) Select(only []string) ([]int, error) {
	want := make(map[string]int, len(only))
	for i, k := range only {
		want[k] = i
	}
	var out []int
	for i := 0; i < p.N && len(want) > 0; i++ {
		k := p.At(i).Key
		if _, ok := want[k]; ok {
			out = append(out, i)
			delete(want, k)
		}
	}
	if len(want) > 0 {
		first := len(only)
		// The least position does not depend on the order positions are seen in.
		//workflowcheck:ignore
		for _, pos := range want {
			first = min(first, pos)
		}
		return nil, contract.Invalid("only_partitions", "keys of partitions between start_date and end_date such as %q, got %q", p.At(0).Key, only[first])
	}
	return out, nil
}
