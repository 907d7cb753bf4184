package contract

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Source kinds an extraction can read from.
const (
	SourceSQLite   = "sqlite"
	SourcePostgres = "postgres"
	SourceSpark    = "spark" // a Spark job the worker submits through Livy, for sources too large for one worker
)

// SourceConfig names a SQL source: a connection the worker's own configuration
// defines (its kind, place and credentials), plus a table or a query. Workflow input
// never carries a host, a DSN or a file path; DSN is kept only so that runs started
// before connections existed still decode, and workers refuse it.
type SourceConfig struct {
	Connection string   `json:"connection,omitempty" yaml:"connection,omitempty"`
	Kind       string   `json:"kind,omitempty" yaml:"kind,omitempty"`
	DSN        string   `json:"dsn,omitempty" yaml:"dsn,omitempty"`
	Query      string   `json:"query,omitempty" yaml:"query,omitempty"`
	Table      string   `json:"table,omitempty" yaml:"table,omitempty"`
	Columns    []string `json:"columns,omitempty" yaml:"columns,omitempty"`
	// Spark is the job of a spark source; see SparkJob.
	Spark *SparkJob `json:"spark,omitempty" yaml:"spark,omitempty"`
	// Parallelism reads a PostgreSQL table as that many key ranges at once, each on
	// its own connection (capped by the connection's max_parallel), when its primary
	// key is one integer, timestamp or date column, or SplitColumn names one.
	// 0 or 1 reads one stream.
	Parallelism int `json:"parallelism,omitempty" yaml:"parallelism,omitempty"`
	// SplitColumn is the column (integer, timestamp or date) a parallel read cuts
	// into ranges, when the primary key is not one such column. If it is not
	// unique, a retried range is read again from its start.
	SplitColumn string `json:"split_column,omitempty" yaml:"split_column,omitempty"`
}

// MaxSourceParallelism bounds a source's parallelism.
const MaxSourceParallelism = 16

// DestinationConfig names the Iceberg table a pipeline loads into ("namespace.table").
// The catalog and warehouse are the worker's configuration.
type DestinationConfig struct {
	Table string `json:"table" yaml:"table"`
}

// Quality check types.
const (
	CheckRowCountMin   = "row_count_min"
	CheckNotNull       = "not_null"
	CheckUnique        = "unique"
	CheckAcceptedRange = "accepted_range"
	CheckFreshness     = "freshness"
)

// QualityCheck is one declared check over the staged data.
type QualityCheck struct {
	Type    string   `json:"type" yaml:"type"`
	Columns []string `json:"columns,omitempty" yaml:"columns,omitempty"`
	Column  string   `json:"column,omitempty" yaml:"column,omitempty"`
	Min     *float64 `json:"min,omitempty" yaml:"min,omitempty"`
	Max     *float64 `json:"max,omitempty" yaml:"max,omitempty"`
	MaxAge  Duration `json:"max_age,omitempty" yaml:"max_age,omitempty"`
	Weight  float64  `json:"weight,omitempty" yaml:"weight,omitempty"`
}

// PipelineConfig is the input of DataPipelineWorkflow.
type PipelineConfig struct {
	PipelineID      string            `json:"pipeline_id" yaml:"pipeline_id"`
	Source          SourceConfig      `json:"source" yaml:"source"`
	StagingPath     string            `json:"staging_path,omitempty" yaml:"staging_path,omitempty"`
	QualityChecks   []QualityCheck    `json:"quality_checks,omitempty" yaml:"quality_checks,omitempty"`
	MinQualityScore float64           `json:"min_quality_score" yaml:"min_quality_score"`
	ApprovalTimeout Duration          `json:"approval_timeout,omitempty" yaml:"approval_timeout,omitempty"`
	TransformDAG    string            `json:"transform_dag,omitempty" yaml:"transform_dag,omitempty"`
	Destination     DestinationConfig `json:"destination" yaml:"destination"`
	// Approvers, when set, are the only identities that may decide the approval gate
	// (the API token's name, the SSH key's identity).
	Approvers []string `json:"approvers,omitempty" yaml:"approvers,omitempty"`
	// FourEyes refuses a decision by the identity that started the run.
	FourEyes bool `json:"four_eyes,omitempty" yaml:"four_eyes,omitempty"`
	// StartedBy is who started the run, as the server that started it knows them
	// (`matih start`, the API, an SSH session): never taken from a caller's file or
	// body. Empty for a run another client started.
	StartedBy string `json:"started_by,omitempty" yaml:"started_by,omitempty"`
}

// DecisionAllowed refuses an approval gate decision by an identity the pipeline's
// definition does not allow, or, under four-eyes, by the run's starter.
func (c PipelineConfig) DecisionAllowed(approver string) error {
	approver = ApproverPerson(approver)
	if len(c.Approvers) > 0 && !slices.Contains(c.Approvers, approver) {
		return fmt.Errorf("%s may not decide this pipeline's approval: its approvers are %s", approver, strings.Join(c.Approvers, ", "))
	}
	if c.FourEyes && c.StartedBy != "" && approver == c.StartedBy {
		return fmt.Errorf("four eyes: %s started this run and may not decide its approval", approver)
	}
	return nil
}

// DefaultApprovalTimeout is how long a low-quality run waits for a human (seed: 4 h).
const DefaultApprovalTimeout = 4 * time.Hour

// ColumnSchema describes one column of staged data.
type ColumnSchema struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

// ExtractInput is the input of extract_data.
type ExtractInput struct {
	PipelineID  string       `json:"pipeline_id"`
	RunID       string       `json:"run_id"`
	Source      SourceConfig `json:"source"`
	StagingPath string       `json:"staging_path,omitempty"`
	// OutputPrefix is where in the staging store the files go (StagingRoot +
	// "extract/"); older workflows leave it empty and the worker derives it.
	OutputPrefix string `json:"output_prefix,omitempty"`
	// Partition is set by process_partition for a spark source: the job reads only
	// its column in [start, end).
	Partition *PartitionBounds `json:"partition,omitempty"`
}

// PartitionBounds is one backfill partition as a Spark job gets it.
type PartitionBounds struct {
	Key    string    `json:"key"`
	Column string    `json:"column"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

// ExtractionResult is what extract_data staged.
type ExtractionResult struct {
	OutputPath string         `json:"output_path"`
	Files      []string       `json:"files"`
	Rows       int64          `json:"rows"`
	Schema     []ColumnSchema `json:"schema"`
}

// QualityInput is the input of validate_quality.
type QualityInput struct {
	OutputPath string         `json:"output_path"`
	Checks     []QualityCheck `json:"checks"`
	// ExpectedRows is what extract_data reported; a different count on the staged
	// data fails the step. Absent in inputs scheduled by older workers.
	ExpectedRows *int64 `json:"expected_rows,omitempty"`
}

// CheckResult is one check's outcome with the evidence an approver needs.
type CheckResult struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Passed     bool     `json:"passed"`
	Weight     float64  `json:"weight"`
	FailedRows int64    `json:"failed_rows"`
	TotalRows  int64    `json:"total_rows"`
	Samples    []string `json:"samples,omitempty"`
	Detail     string   `json:"detail,omitempty"`
}

// QualityResult is the weighted score of all checks and their evidence.
type QualityResult struct {
	Score  float64       `json:"score"`
	Rows   int64         `json:"rows"`
	Checks []CheckResult `json:"checks"`
}

// TransformInput is the input of trigger_airflow_dag.
type TransformInput struct {
	DAGID      string `json:"dag_id"`
	DAGRunID   string `json:"dag_run_id"`
	InputPath  string `json:"input_path"`
	PipelineID string `json:"pipeline_id"`
	// OutputPath is where the DAG writes its Parquet output, in the staging store.
	OutputPath string `json:"output_path,omitempty"`
}

// Transform statuses.
const (
	TransformSucceeded = "SUCCEEDED"
	TransformSkipped   = "SKIPPED"
)

// TransformResult reports the Airflow run, or that the step was skipped.
type TransformResult struct {
	Status     string    `json:"status"`
	DAGID      string    `json:"dag_id,omitempty"`
	DAGRunID   string    `json:"dag_run_id,omitempty"`
	OutputPath string    `json:"output_path"`
	StartedAt  time.Time `json:"started_at,omitempty"`
	EndedAt    time.Time `json:"ended_at,omitempty"`
}

// LoadInput is the input of load_to_iceberg.
type LoadInput struct {
	InputPath      string            `json:"input_path"`
	Destination    DestinationConfig `json:"destination"`
	IdempotencyKey string            `json:"idempotency_key"`
}

// StagingCleanupInput is the input of delete_staging: one run's staging prefix.
type StagingCleanupInput struct {
	Path string `json:"path"`
}

// StagingCleanupResult is what delete_staging removed.
type StagingCleanupResult struct {
	Deleted int `json:"deleted"`
}

// LoadResult is the Iceberg commit a load made (or found already made).
type LoadResult struct {
	Table          string `json:"table"`
	Rows           int64  `json:"rows"`
	SnapshotID     int64  `json:"snapshot_id"`
	IdempotencyKey string `json:"idempotency_key"`
	AlreadyLoaded  bool   `json:"already_loaded"`
}

// PipelineResult is the output of DataPipelineWorkflow.
type PipelineResult struct {
	Status         string   `json:"status"`
	Reason         string   `json:"reason,omitempty"`
	RowsProcessed  int64    `json:"rows_processed"`
	Duration       Duration `json:"duration"`
	HistoryLength  int      `json:"history_length"`
	SnapshotID     int64    `json:"snapshot_id,omitempty"`
	QualityScore   float64  `json:"quality_score"`
	Approver       string   `json:"approver,omitempty"`
	ApprovalReason string   `json:"approval_reason,omitempty"`
}

// DAGRunID is the Airflow dag_run_id of one run of a pipeline workflow: a reset or
// a reused workflow id gets a DAG run of its own, and every retry of the run finds
// the same one.
func DAGRunID(workflowID, runID string) string { return "matih__" + workflowID + "__" + runID }
