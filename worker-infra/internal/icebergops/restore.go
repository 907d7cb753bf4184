package icebergops

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/matih/ops/shared/contract"
)

// PostValidate checks expected columns and types, and for a data-preserving
// migration that the current snapshot is still the tagged one.
func (b *Backend) PostValidate(ctx context.Context, cfg contract.MigrationConfig, backup contract.BackupRef) (contract.PostValidation, error) {
	var pv contract.PostValidation
	tbl, _, err := loadTable(ctx, b.Catalog, "table", cfg.Table)
	if err != nil {
		return pv, err
	}
	sc := tbl.Schema()
	for i, c := range cfg.ExpectedColumns {
		want, err := parseType(fmt.Sprintf("expected_columns[%d].type", i), c.Type)
		if err != nil {
			pv.Failures = append(pv.Failures, err.Error())
			continue
		}
		f, ok := sc.FindFieldByName(c.Name)
		switch {
		case !ok:
			pv.Failures = append(pv.Failures, fmt.Sprintf("expected_columns[%d]: column %q is missing", i, c.Name))
		case !f.Type.Equals(want):
			pv.Failures = append(pv.Failures, fmt.Sprintf("expected_columns[%d]: column %q is %s, expected %s", i, c.Name, f.Type, want))
		}
	}
	if cfg.DataPreserving {
		// Adding columns never rewrites data; other writers may append meanwhile. What
		// must hold is that the backup's snapshot is still in main's history.
		if backup.SnapshotID != 0 && !inLineage(tbl, backup.SnapshotID) {
			pv.Failures = append(pv.Failures, fmt.Sprintf("data_preserving: the backup's snapshot %d is no longer in main's history", backup.SnapshotID))
		}
	}
	pv.Passed = len(pv.Failures) == 0
	return pv, nil
}

// Restore sets the schema back to the backup's, and keeps every snapshot committed
// since: an Iceberg migration only adds columns, which changes metadata, never data,
// so rewinding main would only discard other writers' loads. The schema commit is
// checked before the rolled-back marker is written in a second commit, so a check
// that fails can never be retried into "restored".
func (b *Backend) Restore(ctx context.Context, ref contract.BackupRef) (contract.RestoreResult, error) {
	res := contract.RestoreResult{MigrationID: ref.MigrationID, RowCount: ref.RowCount, Checksum: ref.Checksum}
	tbl, _, err := loadTable(ctx, b.Catalog, "table", ref.Table)
	if err != nil {
		return res, err
	}
	props := tbl.Properties()
	if props[propRolledBack(ref.MigrationID)] != "" {
		return restored(res, tbl), nil
	}
	if props[propApplied(ref.MigrationID)] == "" {
		return res, nil
	}
	if tbl.Schema().ID != ref.SchemaID {
		txn := tbl.NewTransaction()
		if err := restoreSchema(txn, tbl, ref); err != nil {
			return res, err
		}
		if tbl, err = txn.Commit(ctx); err != nil {
			return res, fmt.Errorf("commit restore of %s: %w", ref.Table, err)
		}
	}
	if err := checkRestored(tbl, ref); err != nil {
		return res, err
	}
	txn := tbl.NewTransaction()
	if err := txn.SetProperties(iceberg.Properties{propRolledBack(ref.MigrationID): time.Now().UTC().Format(time.RFC3339)}); err != nil {
		return res, err
	}
	if tbl, err = txn.Commit(ctx); err != nil {
		return res, fmt.Errorf("record restore of %s: %w", ref.Table, err)
	}
	return restored(res, tbl), nil
}

// checkRestored is the post-restore check: the backup's schema is current and the
// backup's snapshot is still in main's lineage (nothing was rewound or rewritten).
// It fails for good: no retry can make it pass.
func checkRestored(tbl *table.Table, ref contract.BackupRef) error {
	if tbl.Schema().ID != ref.SchemaID {
		return &contract.SchemaConflictError{Table: ref.Table, Detail: fmt.Sprintf("after restore the schema is %d, the backup's is %d", tbl.Schema().ID, ref.SchemaID)}
	}
	if ref.SnapshotID != 0 && !inLineage(tbl, ref.SnapshotID) {
		return &contract.SchemaConflictError{Table: ref.Table, Detail: fmt.Sprintf("the backup's snapshot %d is no longer in main's history", ref.SnapshotID)}
	}
	return nil
}

// restored fills in the table as it is now: rows and snapshot, other writers' included.
func restored(res contract.RestoreResult, tbl *table.Table) contract.RestoreResult {
	var cur int64
	if s := tbl.CurrentSnapshot(); s != nil {
		cur = s.SnapshotID
	}
	res.Checksum, res.RowCount, res.Restored = snapshotChecksum(cur), totalRecords(tbl.CurrentSnapshot()), true
	return res
}

// inLineage tells whether snapshot id is main's current snapshot or one of its ancestors.
func inLineage(tbl *table.Table, id int64) bool {
	for s := tbl.CurrentSnapshot(); s != nil; {
		if s.SnapshotID == id {
			return true
		}
		if s.ParentSnapshotID == nil {
			return false
		}
		s = tbl.Metadata().SnapshotByID(*s.ParentSnapshotID)
	}
	return false
}

// restoreSchema deletes the columns the backup's schema did not have, which makes
// the schema equal to the backup's, so iceberg-go sets that schema id current again.
func restoreSchema(txn *table.Transaction, tbl *table.Table, ref contract.BackupRef) error {
	old, ok := tbl.Schemas()[ref.SchemaID]
	if !ok {
		return &contract.SchemaConflictError{Table: ref.Table, Detail: fmt.Sprintf("backup schema %d is no longer in the table metadata", ref.SchemaID)}
	}
	if tbl.Schema().ID == ref.SchemaID {
		return nil
	}
	upd := txn.UpdateSchema(true, true)
	for _, f := range tbl.Schema().Fields() {
		if _, ok := old.FindFieldByID(f.ID); !ok {
			upd = upd.DeleteColumn([]string{f.Name})
		}
	}
	if err := upd.Commit(); err != nil {
		return &contract.SchemaConflictError{Table: ref.Table, Detail: "restore schema: " + err.Error()}
	}
	return nil
}
