package contract

import "time"

// Partition sizes.
const (
	PartitionHour  = "hour"
	PartitionDay   = "day"
	PartitionWeek  = "week"
	PartitionMonth = "month"
)

// Reprocess modes.
const (
	ReprocessMissing = "missing"
	ReprocessFailed  = "failed"
	ReprocessAll     = "all"
)

// Backfill defaults and limits.
const (
	DefaultMaxParallel   = 8
	MaxParallelCap       = 200
	DefaultMaxPartitions = 100000
	DefaultHistoryLimit  = 4000
	MaxFailureBudget     = 1000
	MinHistoryLimit      = 100
)

// BackfillConfig is the input of DataBackfillWorkflow. Dates are RFC 3339 or YYYY-MM-DD.
type BackfillConfig struct {
	PipelineID        string            `json:"pipeline_id" yaml:"pipeline_id"`
	Source            SourceConfig      `json:"source" yaml:"source"`
	PartitionColumn   string            `json:"partition_column" yaml:"partition_column"`
	StartDate         string            `json:"start_date" yaml:"start_date"`
	EndDate           string            `json:"end_date" yaml:"end_date"`
	PartitionSize     string            `json:"partition_size" yaml:"partition_size"`
	Destination       DestinationConfig `json:"destination" yaml:"destination"`
	MaxParallel       int               `json:"max_parallel,omitempty" yaml:"max_parallel,omitempty"`
	PartitionsPerTask int               `json:"partitions_per_task,omitempty" yaml:"partitions_per_task,omitempty"` // 0 = auto
	Reprocess         string            `json:"reprocess,omitempty" yaml:"reprocess,omitempty"`
	FailureBudget     int               `json:"failure_budget,omitempty" yaml:"failure_budget,omitempty"`
	MaxPartitions     int               `json:"max_partitions,omitempty" yaml:"max_partitions,omitempty"`
	OnlyPartitions    []string          `json:"only_partitions,omitempty" yaml:"only_partitions,omitempty"`
	// HistoryLimit bounds each run's history; the workflow continues as new before
	// it (0 means DefaultHistoryLimit).
	HistoryLimit int `json:"history_limit,omitempty" yaml:"history_limit,omitempty"`
	// Carry is set by the workflow when it continues as new; leave it empty.
	Carry *BackfillCarry `json:"carry,omitempty" yaml:"-"`
}

// Partition is one [Start, End) slice of a backfill.
type Partition struct {
	Index int       `json:"index"`
	Key   string    `json:"key"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// PartitionResult is what process_partition did for one partition.
type PartitionResult struct {
	Partition Partition `json:"partition"`
	Rows      int64     `json:"rows"`
	Duration  Duration  `json:"duration"`
	Status    string    `json:"status"`
	Error     string    `json:"error,omitempty"`
	Attempts  int       `json:"attempts,omitempty"`
	// AttemptErrors, for a failed partition, are why its earlier attempts failed;
	// Error is the last one's.
	AttemptErrors []AttemptError `json:"attempt_errors,omitempty"`
}

// BackfillResult is the output of DataBackfillWorkflow.
type BackfillResult struct {
	PartitionsProcessed int                `json:"partitions_processed"`
	TotalRows           int64              `json:"total_rows"`
	FailedPartitions    []Partition        `json:"failed_partitions,omitempty"`
	Elapsed             Duration           `json:"elapsed"`
	Status              string             `json:"status"`
	PartitionsSkipped   int                `json:"partitions_skipped,omitempty"`
	Failures            []PartitionFailure `json:"failures,omitempty"`
	// PartitionsFailed counts every failed partition; FailedPartitions and Failures
	// list at most the first 100, FailedRanges holds them all as index ranges.
	PartitionsFailed int              `json:"partitions_failed,omitempty"`
	FailedRanges     []PartitionRange `json:"failed_ranges,omitempty"`
	Runs             int              `json:"runs"`
	LongestHistory   int              `json:"longest_history"`
	Reason           string           `json:"reason,omitempty"`
}

// Partition statuses in results and in the status document.
const (
	PartitionPending = "pending"
	PartitionRunning = "running"
	PartitionDone    = "done"
	PartitionSkipped = "skipped"
	PartitionFailed  = "failed"
)

// PartitionRange is a run of consecutive partitions [From, To) in one state, with
// their summed rows and attempts: 100,000 partitions done in order are one range.
type PartitionRange struct {
	From     int   `json:"from"`
	To       int   `json:"to"`
	Rows     int64 `json:"rows"`
	Attempts int   `json:"attempts"`
}

// PartitionFailure is one failed partition and why.
type PartitionFailure struct {
	Partition Partition `json:"partition"`
	Attempts  int       `json:"attempts"`
	Error     string    `json:"error"`
	// AttemptErrors are why its earlier attempts failed, oldest first (the last
	// MaxAttemptErrors of them); Error is the last attempt's.
	AttemptErrors []AttemptError `json:"attempt_errors,omitempty"`
}

// MaxAttemptErrors bounds the earlier attempts' errors a failure keeps.
const MaxAttemptErrors = 3

// BackfillCarry is the progress a backfill hands to its next run when it continues
// as new. It is set by the workflow itself; a user leaves it empty.
type BackfillCarry struct {
	StartedAt      time.Time          `json:"started_at"`
	Runs           int                `json:"runs"`
	Done           []PartitionRange   `json:"done,omitempty"`
	Skipped        []PartitionRange   `json:"skipped,omitempty"`
	Failed         []PartitionFailure `json:"failed,omitempty"`
	FailedRanges   []PartitionRange   `json:"failed_ranges,omitempty"`
	PerPartitionMs float64            `json:"per_partition_ms,omitempty"`
	WorkMs         float64            `json:"work_ms,omitempty"`   // per partition, without its commit share
	CommitMs       float64            `json:"commit_ms,omitempty"` // per batch commit
	Paused         bool               `json:"paused,omitempty"`
	LongestHistory int                `json:"longest_history,omitempty"`
	RefusedSignals *SignalRefusals    `json:"refused_signals,omitempty"`
	// Lost counts, per unfinished partition index, the tasks holding it that lost
	// their worker on every attempt.
	Lost map[int]int `json:"lost,omitempty"`
}

// PauseSignal is the `pause` and `resume` signal (and update): who asked and why.
// Both work without a payload too.
type PauseSignal struct {
	RequestedBy string `json:"requested_by,omitempty"`
	Reason      string `json:"reason,omitempty"`
}
