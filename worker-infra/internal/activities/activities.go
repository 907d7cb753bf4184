// Package activities registers the infra worker's activities under their wire names
// and routes each migration to the backend of its target.
package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/worker-infra/internal/pgmigrate"
)

// Migrator is one target's migration backend.
type Migrator interface {
	Validate(ctx context.Context, cfg contract.MigrationConfig) error
	Backup(ctx context.Context, cfg contract.MigrationConfig) (contract.BackupRef, error)
	Apply(ctx context.Context, cfg contract.MigrationConfig) (contract.ApplyResult, error)
	PostValidate(ctx context.Context, cfg contract.MigrationConfig, backup contract.BackupRef) (contract.PostValidation, error)
	Restore(ctx context.Context, backup contract.BackupRef) (contract.RestoreResult, error)
}

// Maintainer compacts Iceberg tables and expires their snapshots.
type Maintainer interface {
	Compact(ctx context.Context, req contract.CompactionRequest) (contract.CompactionResult, error)
	Expire(ctx context.Context, req contract.ExpiryRequest) (contract.CompactionResult, error)
}

// Activities holds the backends; a nil backend refuses its target.
type Activities struct {
	Postgres Migrator
	Iceberg  Migrator
	Tables   Maintainer
	// Namespaces are the Iceberg namespaces maintenance and migrations may touch
	// (--iceberg-namespaces); empty: any.
	Namespaces contract.AllowList
}

// NewPostgres returns the PostgreSQL backend over the worker's connections, wired
// to activity heartbeats.
func NewPostgres(conns *connections.Registry) *pgmigrate.Backend {
	return &pgmigrate.Backend{Heartbeat: activity.RecordHeartbeat, Connections: conns}
}

// Register adds every activity under its snake_case name.
func (a *Activities) Register(reg worker.ActivityRegistry) {
	for name, fn := range map[string]any{
		contract.ActivityValidateMigration:      a.ValidateMigration,
		contract.ActivityCreateBackup:           a.CreateBackup,
		contract.ActivityApplyMigration:         a.ApplyMigration,
		contract.ActivityValidatePostMigration:  a.ValidatePostMigration,
		contract.ActivityRestoreBackup:          a.RestoreBackup,
		contract.ActivityCompactIcebergTable:    a.CompactIcebergTable,
		contract.ActivityExpireIcebergSnapshots: a.ExpireIcebergSnapshots,
	} {
		reg.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

func (a *Activities) backend(target string) (Migrator, error) {
	var m Migrator
	switch target {
	case contract.TargetPostgres:
		m = a.Postgres
	case contract.TargetIceberg:
		m = a.Iceberg
	}
	if m == nil {
		return nil, contract.Invalid("target", "a target this worker serves (%q or %q), got %q", contract.TargetPostgres, contract.TargetIceberg, target)
	}
	return m, nil
}

// migrator is the backend of a migration, once its table is one this worker may touch.
func (a *Activities) migrator(cfg contract.MigrationConfig) (Migrator, error) {
	if cfg.Target == contract.TargetIceberg {
		if err := contract.CheckNamespace(a.Namespaces, "table", cfg.Table); err != nil {
			return nil, err
		}
	}
	return a.backend(cfg.Target)
}

// ValidateMigration is validate_migration: pre-flight checks and a dry run.
func (a *Activities) ValidateMigration(ctx context.Context, cfg contract.MigrationConfig) error {
	if err := cfg.Validate(); err != nil {
		return retry.Classify(err)
	}
	m, err := a.migrator(cfg)
	if err != nil {
		return retry.Classify(err)
	}
	return retry.Classify(m.Validate(ctx, cfg))
}

// CreateBackup is create_backup.
func (a *Activities) CreateBackup(ctx context.Context, cfg contract.MigrationConfig) (contract.BackupRef, error) {
	m, err := a.migrator(cfg)
	if err != nil {
		return contract.BackupRef{}, retry.Classify(err)
	}
	ref, err := m.Backup(ctx, cfg)
	return ref, retry.Classify(err)
}

// ApplyMigration is apply_migration.
func (a *Activities) ApplyMigration(ctx context.Context, cfg contract.MigrationConfig) (contract.ApplyResult, error) {
	m, err := a.migrator(cfg)
	if err != nil {
		return contract.ApplyResult{}, retry.Classify(err)
	}
	res, err := m.Apply(ctx, cfg)
	return res, retry.Classify(err)
}

// ValidatePostMigration is validate_post_migration.
func (a *Activities) ValidatePostMigration(ctx context.Context, cfg contract.MigrationConfig, backup contract.BackupRef) (contract.PostValidation, error) {
	m, err := a.migrator(cfg)
	if err != nil {
		return contract.PostValidation{}, retry.Classify(err)
	}
	pv, err := m.PostValidate(ctx, cfg, backup)
	return pv, retry.Classify(err)
}

// RestoreBackup is restore_backup.
func (a *Activities) RestoreBackup(ctx context.Context, backup contract.BackupRef) (contract.RestoreResult, error) {
	m, err := a.backend(backup.Target)
	if err != nil {
		return contract.RestoreResult{}, retry.Classify(err)
	}
	res, err := m.Restore(ctx, backup)
	return res, retry.Classify(err)
}

// CompactIcebergTable is compact_iceberg_table.
func (a *Activities) CompactIcebergTable(ctx context.Context, req contract.CompactionRequest) (contract.CompactionResult, error) {
	if a.Tables == nil {
		return contract.CompactionResult{}, retry.Classify(contract.Invalid("table", "an Iceberg catalog configured on this worker"))
	}
	if err := contract.ValidateIcebergTable("table", req.Table); err != nil {
		return contract.CompactionResult{}, retry.Classify(err)
	}
	if err := contract.CheckNamespace(a.Namespaces, "table", req.Table); err != nil {
		return contract.CompactionResult{}, retry.Classify(err)
	}
	res, err := a.Tables.Compact(ctx, req)
	return res, retry.Classify(err)
}

// ExpireIcebergSnapshots is expire_iceberg_snapshots.
func (a *Activities) ExpireIcebergSnapshots(ctx context.Context, req contract.ExpiryRequest) (contract.CompactionResult, error) {
	if a.Tables == nil {
		return contract.CompactionResult{}, retry.Classify(contract.Invalid("table", "an Iceberg catalog configured on this worker"))
	}
	if err := contract.ValidateIcebergTable("table", req.Table); err != nil {
		return contract.CompactionResult{}, retry.Classify(fmt.Errorf("expire: %w", err))
	}
	if err := contract.CheckNamespace(a.Namespaces, "table", req.Table); err != nil {
		return contract.CompactionResult{}, retry.Classify(err)
	}
	res, err := a.Tables.Expire(ctx, req)
	return res, retry.Classify(err)
}
