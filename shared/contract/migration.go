package contract

import (
	"fmt"
	"time"
)

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
	MigrationID string `json:"migration_id" yaml:"migration_id"`
	Target      string `json:"target" yaml:"target"`
	// Connection names the PostgreSQL database, as the worker's configuration
	// defines it. DSN is kept only so that runs started before connections still
	// decode; workers refuse it.
	Connection      string       `json:"connection,omitempty" yaml:"connection,omitempty"`
	DSN             string       `json:"dsn,omitempty" yaml:"dsn,omitempty"`
	Table           string       `json:"table" yaml:"table"`
	Statements      []string     `json:"statements,omitempty" yaml:"statements,omitempty"`
	AddColumns      []ColumnSpec `json:"add_columns,omitempty" yaml:"add_columns,omitempty"`
	ExpectedColumns []ColumnSpec `json:"expected_columns,omitempty" yaml:"expected_columns,omitempty"`
	DataPreserving  bool         `json:"data_preserving,omitempty" yaml:"data_preserving,omitempty"`
	Assertions      []string     `json:"assertions,omitempty" yaml:"assertions,omitempty"`
	BackupSchema    string       `json:"backup_schema,omitempty" yaml:"backup_schema,omitempty"`
	LockTimeout     Duration     `json:"lock_timeout,omitempty" yaml:"lock_timeout,omitempty"`
	// StatementTimeout bounds each statement of the dry run and the apply.
	StatementTimeout Duration `json:"statement_timeout,omitempty" yaml:"statement_timeout,omitempty"`
	// Description is free text shown in notifications and the console.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
}

// BackupRef says where a backup lives and what it held.
type BackupRef struct {
	MigrationID string `json:"migration_id"`
	Target      string `json:"target"`
	Table       string `json:"table"`
	// Connection names the target database, so restore_backup needs nothing but
	// the BackupRef; DSN is what older workers recorded, and is refused.
	Connection string `json:"connection,omitempty"`
	DSN        string `json:"dsn,omitempty"`
	// Location is "schema.table" of the PostgreSQL copy, or the Iceberg tag name.
	Location   string `json:"location"`
	SnapshotID int64  `json:"snapshot_id,omitempty"`
	// SchemaID is the Iceberg schema current at backup time.
	SchemaID  int       `json:"schema_id,omitempty"`
	RowCount  int64     `json:"row_count"`
	Checksum  string    `json:"checksum"`
	CreatedAt time.Time `json:"created_at"`
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
	// Failures lists the post-validation checks that failed (ROLLED_BACK).
	Failures []string `json:"failures,omitempty"`
	// AlreadyApplied is true when the ledger showed the migration applied before.
	AlreadyApplied bool `json:"already_applied,omitempty"`
}

// ApplyResult is the output of apply_migration.
type ApplyResult struct {
	MigrationID    string `json:"migration_id"`
	Statements     int    `json:"statements"`
	AlreadyApplied bool   `json:"already_applied,omitempty"`
	SchemaID       int    `json:"schema_id,omitempty"`
}

// RestoreResult is the output of restore_backup.
type RestoreResult struct {
	MigrationID string `json:"migration_id"`
	// Restored is false when nothing had been applied, so the table was left alone.
	Restored bool   `json:"restored"`
	RowCount int64  `json:"row_count"`
	Checksum string `json:"checksum"`
}

// MaintenanceConfig is the input of TableMaintenanceWorkflow.
type MaintenanceConfig struct {
	Tables           []string `json:"tables" yaml:"tables"`
	TargetFileBytes  int64    `json:"target_file_bytes,omitempty" yaml:"target_file_bytes,omitempty"`
	ExpireOlderThan  Duration `json:"expire_older_than,omitempty" yaml:"expire_older_than,omitempty"`
	RetainLastNumber int      `json:"retain_last,omitempty" yaml:"retain_last,omitempty"`
	// SkipCompaction and SkipExpiry turn off one of the two steps.
	SkipCompaction bool `json:"skip_compaction,omitempty" yaml:"skip_compaction,omitempty"`
	SkipExpiry     bool `json:"skip_expiry,omitempty" yaml:"skip_expiry,omitempty"`
}

// Validate checks a maintenance config before anything runs.
func (c MaintenanceConfig) Validate() error {
	if len(c.Tables) == 0 {
		return Invalid("tables", "at least one Iceberg table such as \"analytics.orders\"")
	}
	for i, t := range c.Tables {
		if err := ValidateIcebergTable("tables["+itoa(i)+"]", t); err != nil {
			return err
		}
	}
	if c.TargetFileBytes < 0 {
		return Invalid("target_file_bytes", "a positive number of bytes, or 0 for the table default, got %d", c.TargetFileBytes)
	}
	if c.ExpireOlderThan < 0 {
		return Invalid("expire_older_than", "a positive duration such as \"168h\", got %s", c.ExpireOlderThan)
	}
	if c.RetainLastNumber < 0 {
		return Invalid("retain_last", "a non-negative number of snapshots, got %d", c.RetainLastNumber)
	}
	return nil
}

// MaintenanceResult is the output of TableMaintenanceWorkflow.
type MaintenanceResult struct {
	Status string             `json:"status"`
	Tables []CompactionResult `json:"tables"`
}

// ExpiryRequest is the input of expire_iceberg_snapshots.
type ExpiryRequest struct {
	Table      string   `json:"table"`
	OlderThan  Duration `json:"older_than,omitempty"`
	RetainLast int      `json:"retain_last,omitempty"`
}

// CompactionRequest is the input of compact_iceberg_table.
type CompactionRequest struct {
	Table           string `json:"table"`
	TargetFileBytes int64  `json:"target_file_bytes,omitempty"`
}

func itoa(i int) string { return fmt.Sprint(i) }

// CompactionResult reports one table's compaction.
type CompactionResult struct {
	Table       string `json:"table"`
	FilesBefore int    `json:"files_before"`
	FilesAfter  int    `json:"files_after"`
	BytesBefore int64  `json:"bytes_before"`
	BytesAfter  int64  `json:"bytes_after"`
	Rows        int64  `json:"rows"`
	RowsAfter   int64  `json:"rows_after"`
	// SnapshotsExpired is filled by the expiry step of TableMaintenanceWorkflow.
	SnapshotsExpired int    `json:"snapshots_expired,omitempty"`
	Skipped          string `json:"skipped,omitempty"`
	// Error says why this table's maintenance failed; the other tables still run.
	Error string `json:"error,omitempty"`
}
