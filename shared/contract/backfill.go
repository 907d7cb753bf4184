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
}

// BackfillResult is the output of DataBackfillWorkflow.
type BackfillResult struct {
	PartitionsProcessed int         `json:"partitions_processed"`
	TotalRows           int64       `json:"total_rows"`
	FailedPartitions    []Partition `json:"failed_partitions,omitempty"`
	Elapsed             Duration    `json:"elapsed"`
	Status              string      `json:"status"`
}
