package status

import "github.com/matih/ops/shared/contract"

// PartitionSummary is the per-partition state of a backfill, kept compact: done and
// skipped and failed partitions as ranges of consecutive indexes, the first failures
// and the running ones listed (bounded, and by the window), everything else pending. 100,000 partitions done in order are one range.
type PartitionSummary struct {
	Total    int                         `json:"total"`
	Done     int                         `json:"done"`
	Skipped  int                         `json:"skipped"`
	Failed   int                         `json:"failed"`
	Running  int                         `json:"running"`
	Pending  int                         `json:"pending"`
	Rows     int64                       `json:"rows"`
	Ranges   PartitionRanges             `json:"ranges"`
	Failures []contract.PartitionFailure `json:"failures,omitempty"`
	// InFlight lists the partitions being processed now.
	InFlight []RunningPartition `json:"inFlight,omitempty"`
	// Throughput and ETA over this backfill so far.
	PartitionsPerSecond float64 `json:"partitionsPerSecond"`
	RowsPerSecond       float64 `json:"rowsPerSecond"`
	ETASeconds          float64 `json:"etaSeconds"`
	BatchSize           int     `json:"batchSize"`
	MaxParallel         int     `json:"maxParallel"`
	Paused              bool    `json:"paused"`
	Runs                int     `json:"runs"`
}

// PartitionRanges groups the ranges by state.
type PartitionRanges struct {
	Done    []contract.PartitionRange `json:"done"`
	Skipped []contract.PartitionRange `json:"skipped,omitempty"`
	// Failed holds every failed partition; Failures lists the first 100 with errors.
	Failed []contract.PartitionRange `json:"failed,omitempty"`
}

// RunningPartition is one partition in flight.
type RunningPartition struct {
	Index int    `json:"index"`
	Key   string `json:"key"`
}

// BackfillDocument is the status document of a backfill, whose Partitions is set.
type BackfillDocument = Document
