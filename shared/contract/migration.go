package contract

import "time"

// Migration targets.
const (
	TargetPostgres = "postgres"
	TargetIceberg  = "iceberg"
)

// ColumnSpec is a column a migration adds or expects.
type ColumnSpec struct {
	Name     string `json:"name" yaml:"name"`
	Type     string `json:"type" yaml:"type"`
	Nullable bool   `json:"nullable,omitempty" yaml:"nullable,omitempty"`
}

// MigrationConfig is the input of SchemaMigrationWorkflow.
type MigrationConfig struct {
	MigrationID     string       `json:"migration_id" yaml:"migration_id"`
	Target          string       `json:"target" yaml:"target"`
	DSN             string       `json:"dsn,omitempty" yaml:"dsn,omitempty"`
	Table           string       `json:"table" yaml:"table"`
	Statements      []string     `json:"statements,omitempty" yaml:"statements,omitempty"`
	AddColumns      []ColumnSpec `json:"add_columns,omitempty" yaml:"add_columns,omitempty"`
	ExpectedColumns []ColumnSpec `json:"expected_columns,omitempty" yaml:"expected_columns,omitempty"`
	DataPreserving  bool         `json:"data_preserving,omitempty" yaml:"data_preserving,omitempty"`
	Assertions      []string     `json:"assertions,omitempty" yaml:"assertions,omitempty"`
	BackupSchema    string       `json:"backup_schema,omitempty" yaml:"backup_schema,omitempty"`
	LockTimeout     Duration     `json:"lock_timeout,omitempty" yaml:"lock_timeout,omitempty"`
	StatementTimout Duration     `json:"statement_timeout,omitempty" yaml:"statement_timeout,omitempty"`
}

// BackupRef says where a backup lives and what it held.
type BackupRef struct {
	MigrationID string    `json:"migration_id"`
	Target      string    `json:"target"`
	Table       string    `json:"table"`
	Location    string    `json:"location"`
	SnapshotID  int64     `json:"snapshot_id,omitempty"`
	RowCount    int64     `json:"row_count"`
	Checksum    string    `json:"checksum"`
	CreatedAt   time.Time `json:"created_at"`
}

// PostValidation is the outcome of validate_post_migration.
type PostValidation struct {
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
}

// MigrationResult is the output of SchemaMigrationWorkflow.
type MigrationResult struct {
	Status      string    `json:"status"`
	MigrationID string    `json:"migration_id"`
	Reason      string    `json:"reason,omitempty"`
	Backup      BackupRef `json:"backup"`
}

// MaintenanceConfig is the input of TableMaintenanceWorkflow.
type MaintenanceConfig struct {
	Tables           []string `json:"tables" yaml:"tables"`
	TargetFileBytes  int64    `json:"target_file_bytes,omitempty" yaml:"target_file_bytes,omitempty"`
	ExpireOlderThan  Duration `json:"expire_older_than,omitempty" yaml:"expire_older_than,omitempty"`
	RetainLastNumber int      `json:"retain_last,omitempty" yaml:"retain_last,omitempty"`
}

// CompactionResult reports one table's compaction.
type CompactionResult struct {
	Table       string `json:"table"`
	FilesBefore int    `json:"files_before"`
	FilesAfter  int    `json:"files_after"`
	BytesBefore int64  `json:"bytes_before"`
	BytesAfter  int64  `json:"bytes_after"`
	Rows        int64  `json:"rows"`
}
