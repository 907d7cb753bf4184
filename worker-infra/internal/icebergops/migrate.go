package icebergops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/matih/ops/shared/contract"
)

// Backend migrates Iceberg tables. Table properties are its ledger: a migration's
// backup, apply and roll-back are each recorded in the same commit as the change.
type Backend struct {
	Catalog catalog.Catalog
}

// Ledger property keys of one migration.
func propBackup(id string) string     { return "matih.migration." + id + ".backup" }
func propApplied(id string) string    { return "matih.migration." + id + ".applied" }
func propRolledBack(id string) string { return "matih.migration." + id + ".rolled-back" }

// TagName is the snapshot tag that is a migration's backup.
func TagName(id string) string { return "matih-backup-" + id }

// Validate checks that the change is a legal evolution: every new column has a
// known type and a free name, the migration is new, and iceberg-go accepts the
// update (applied to a schema in memory, never committed).
func (b *Backend) Validate(ctx context.Context, cfg contract.MigrationConfig) error {
	if len(cfg.Statements) > 0 || len(cfg.Assertions) > 0 {
		return contract.Invalid("statements", "none for target iceberg: use add_columns (assertions are PostgreSQL only)")
	}
	tbl, _, err := loadTable(ctx, b.Catalog, "table", cfg.Table)
	if err != nil {
		return err
	}
	props := tbl.Properties()
	if _, ok := props[propBackup(cfg.MigrationID)]; ok {
		return &contract.SchemaConflictError{Table: cfg.Table, Detail: "migration " + cfg.MigrationID + " is already in the table's ledger"}
	}
	if tbl.SnapshotByName(TagName(cfg.MigrationID)) != nil {
		return &contract.SchemaConflictError{Table: cfg.Table, Detail: fmt.Sprintf("backup tag %q already exists", TagName(cfg.MigrationID))}
	}
	upd, err := addColumns(tbl.NewTransaction(), tbl.Schema(), cfg)
	if err != nil {
		return err
	}
	if _, err := upd.Apply(); err != nil {
		return &contract.SchemaConflictError{Table: cfg.Table, Detail: "add_columns: " + err.Error()}
	}
	return nil
}

// addColumns builds the schema update; new columns are optional, since a required
// column without a default is not a legal evolution for existing rows.
func addColumns(txn *table.Transaction, sc *iceberg.Schema, cfg contract.MigrationConfig) (*table.UpdateSchema, error) {
	upd := txn.UpdateSchema(true, false)
	for i, c := range cfg.AddColumns {
		field := fmt.Sprintf("add_columns[%d]", i)
		if c.Name == "" || strings.Contains(c.Name, ".") {
			return nil, contract.Invalid(field+".name", "a top-level column name, got %q", c.Name)
		}
		if _, ok := sc.FindFieldByName(c.Name); ok {
			return nil, &contract.SchemaConflictError{Table: cfg.Table, Detail: fmt.Sprintf("%s: column %q already exists", field, c.Name)}
		}
		typ, err := parseType(field+".type", c.Type)
		if err != nil {
			return nil, err
		}
		upd = upd.AddColumn([]string{c.Name}, typ, "added by migration "+cfg.MigrationID, false, nil)
	}
	return upd, nil
}

// Backup tags the current snapshot and records the current schema, in one commit.
func (b *Backend) Backup(ctx context.Context, cfg contract.MigrationConfig) (contract.BackupRef, error) {
	tbl, ident, err := loadTable(ctx, b.Catalog, "table", cfg.Table)
	if err != nil {
		return contract.BackupRef{}, err
	}
	if v, ok := tbl.Properties()[propBackup(cfg.MigrationID)]; ok {
		return refFrom(cfg, tbl, v)
	}
	snapID := int64(0)
	if s := tbl.CurrentSnapshot(); s != nil {
		snapID = s.SnapshotID
	}
	value := fmt.Sprintf("%d:%d:%s", tbl.Schema().ID, snapID, time.Now().UTC().Format(time.RFC3339))
	updates := []table.Update{table.NewSetPropertiesUpdate(iceberg.Properties{propBackup(cfg.MigrationID): value})}
	reqs := []table.Requirement{table.AssertTableUUID(tbl.Metadata().TableUUID()), table.AssertCurrentSchemaID(tbl.Schema().ID)}
	if snapID != 0 {
		updates = append(updates, table.NewSetSnapshotRefUpdate(TagName(cfg.MigrationID), snapID, table.TagRef, 0, 0, 0))
		reqs = append(reqs, table.AssertRefSnapshotID(TagName(cfg.MigrationID), nil))
	}
	if _, _, err := b.Catalog.CommitTable(ctx, ident, reqs, updates); err != nil {
		return contract.BackupRef{}, fmt.Errorf("tag %s: %w", cfg.Table, err)
	}
	tbl, _, err = loadTable(ctx, b.Catalog, "table", cfg.Table)
	if err != nil {
		return contract.BackupRef{}, err
	}
	return refFrom(cfg, tbl, value)
}

// refFrom rebuilds the BackupRef from the ledger property "schema:snapshot:time".
func refFrom(cfg contract.MigrationConfig, tbl *table.Table, value string) (contract.BackupRef, error) {
	parts := strings.SplitN(value, ":", 3)
	if len(parts) != 3 {
		return contract.BackupRef{}, fmt.Errorf("ledger property %s is malformed: %q", propBackup(cfg.MigrationID), value)
	}
	schemaID, _ := strconv.Atoi(parts[0])
	snapID, _ := strconv.ParseInt(parts[1], 10, 64)
	at, _ := time.Parse(time.RFC3339, parts[2])
	ref := contract.BackupRef{MigrationID: cfg.MigrationID, Target: contract.TargetIceberg, Table: cfg.Table,
		Location: TagName(cfg.MigrationID), SnapshotID: snapID, SchemaID: schemaID, CreatedAt: at,
		Checksum: snapshotChecksum(snapID)}
	if s := tbl.SnapshotByID(snapID); s != nil {
		ref.RowCount = totalRecords(s)
	}
	return ref, nil
}

// snapshotChecksum identifies content: Iceberg snapshots are immutable, so equal
// snapshot ids mean equal data.
func snapshotChecksum(id int64) string { return "snapshot:" + strconv.FormatInt(id, 10) }

func totalRecords(s *table.Snapshot) int64 {
	if s == nil || s.Summary == nil {
		return 0
	}
	n, _ := strconv.ParseInt(s.Summary.Properties["total-records"], 10, 64)
	return n
}

// Apply adds the columns and marks the migration applied in one commit; a retry
// that finds the mark applies nothing.
func (b *Backend) Apply(ctx context.Context, cfg contract.MigrationConfig) (contract.ApplyResult, error) {
	res := contract.ApplyResult{MigrationID: cfg.MigrationID, Statements: len(cfg.AddColumns)}
	tbl, _, err := loadTable(ctx, b.Catalog, "table", cfg.Table)
	if err != nil {
		return res, err
	}
	props := tbl.Properties()
	switch {
	case props[propBackup(cfg.MigrationID)] == "":
		return res, &contract.SchemaConflictError{Table: cfg.Table, Detail: "no backup of migration " + cfg.MigrationID + "; create_backup runs first"}
	case props[propRolledBack(cfg.MigrationID)] != "":
		return res, &contract.SchemaConflictError{Table: cfg.Table, Detail: "migration " + cfg.MigrationID + " was rolled back; start a new migration id"}
	case props[propApplied(cfg.MigrationID)] != "":
		res.AlreadyApplied, res.SchemaID = true, tbl.Schema().ID
		return res, nil
	}
	txn := tbl.NewTransaction()
	upd, err := addColumns(txn, tbl.Schema(), cfg)
	if err != nil {
		return res, err
	}
	if err := upd.Commit(); err != nil {
		return res, &contract.SchemaConflictError{Table: cfg.Table, Detail: "add_columns: " + err.Error()}
	}
	if err := txn.SetProperties(iceberg.Properties{propApplied(cfg.MigrationID): time.Now().UTC().Format(time.RFC3339)}); err != nil {
		return res, err
	}
	next, err := txn.Commit(ctx)
	if err != nil {
		return res, fmt.Errorf("commit schema of %s: %w", cfg.Table, err)
	}
	res.SchemaID = next.Schema().ID
	return res, nil
}
