package contract

// MaxBatchPartitions bounds the partitions of one process_partition task, however
// they are given.
const MaxBatchPartitions = 10000

// PartitionBatch is the input of process_partition: one or more partitions of one
// backfill, processed one after another by a single activity task.
//
// The partitions are given either listed in full (Partitions, as runs started
// before ranged batches send them) or as index ranges of the backfill's plan (Plan
// and Ranges). A listed batch of 500 hourly partitions is about 75 KB of history
// per task, and the server then suggests continuing as new long before the event
// limit; its ranges are a few bytes.
type PartitionBatch struct {
	BackfillID      string            `json:"backfill_id"`
	PipelineID      string            `json:"pipeline_id"`
	Source          SourceConfig      `json:"source"`
	PartitionColumn string            `json:"partition_column"`
	Destination     DestinationConfig `json:"destination"`
	Reprocess       string            `json:"reprocess"`
	Partitions      []Partition       `json:"partitions"`
	Plan            *PlanSpec         `json:"plan,omitempty"`
	Ranges          []IndexRange      `json:"ranges,omitempty"`
}

// Ranged tells whether the batch names its partitions as ranges; its result then
// comes back as ranges too (BatchResult.Compacted).
func (b PartitionBatch) Ranged() bool { return len(b.Ranges) > 0 }

// PlanSpec is what a worker needs to rebuild a backfill's plan, and so the
// partitions behind a batch's index ranges.
type PlanSpec struct {
	StartDate     string `json:"start_date"`
	EndDate       string `json:"end_date"`
	PartitionSize string `json:"partition_size"`
	MaxPartitions int    `json:"max_partitions,omitempty"`
}

// IndexRange is the partitions [From, To) of a plan.
type IndexRange struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// BatchResult is what process_partition did for each partition of its batch, in the
// batch's order. A partition missing from it was not attempted (the batch gave up
// early) and goes back to the queue.
//
// A listed batch gets every partition in Results. A ranged batch gets its done and
// skipped partitions as ranges, with their summed rows and attempts and their
// summed time in Work, and only its failed ones in Results, with their errors.
type BatchResult struct {
	Results []PartitionResult `json:"results"`
	// Commit is how long the batch's one Iceberg commit took, without the time it
	// queued behind other commits; each done partition's Duration includes its
	// share. Zero when nothing was committed, and from workers before it existed.
	Commit  Duration         `json:"commit,omitempty"`
	Done    []PartitionRange `json:"done,omitempty"`
	Skipped []PartitionRange `json:"skipped,omitempty"`
	Work    Duration         `json:"work,omitempty"`
	// AttemptErrors are the errors that ended this task's earlier attempts, oldest
	// first, carried in its heartbeats from one attempt to the next.
	AttemptErrors []AttemptError `json:"attempt_errors,omitempty"`
}

// AttemptError is why one attempt at a partition failed.
type AttemptError struct {
	Attempt int    `json:"attempt"`
	Error   string `json:"error"`
}

// Compacted is r for a ranged batch: runs of consecutive done or skipped
// partitions become ranges, failed ones stay listed.
func (r BatchResult) Compacted() BatchResult {
	out := BatchResult{Commit: r.Commit, Results: []PartitionResult{}}
	for _, p := range r.Results {
		switch p.Status {
		case PartitionDone:
			out.Done = extend(out.Done, p)
		case PartitionSkipped:
			out.Skipped = extend(out.Skipped, p)
		default:
			out.Results = append(out.Results, p)
			continue
		}
		out.Work += p.Duration
	}
	return out
}

// extend adds p to the last range when it follows it, else starts a new one.
func extend(rs []PartitionRange, p PartitionResult) []PartitionRange {
	i, attempts := p.Partition.Index, max(p.Attempts, 1)
	if n := len(rs); n > 0 && rs[n-1].To == i {
		rs[n-1].To++
		rs[n-1].Rows += p.Rows
		rs[n-1].Attempts += attempts
		return rs
	}
	return append(rs, PartitionRange{From: i, To: i + 1, Rows: p.Rows, Attempts: attempts})
}
