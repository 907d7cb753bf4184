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
		var cur int64
		if s := tbl.CurrentSnapshot(); s != nil {
			cur = s.SnapshotID
		}
		if snapshotChecksum(cur) != backup.Checksum {
			pv.Failures = append(pv.Failures, fmt.Sprintf("data_preserving: current snapshot %d is not the backup's %d", cur, backup.SnapshotID))
		}
		if n := totalRecords(tbl.CurrentSnapshot()); n != backup.RowCount {
			pv.Failures = append(pv.Failures, fmt.Sprintf("data_preserving: %d rows, backup had %d", n, backup.RowCount))
		}
	}
	pv.Passed = len(pv.Failures) == 0
	return pv, nil
}

// Restore sets the schema back to the backup's and, if data was committed since,
// rolls the main branch back to the tagged snapshot, in one commit. When the ledger
// shows nothing was applied, the table is left alone.
func (b *Backend) Restore(ctx context.Context, ref contract.BackupRef) (contract.RestoreResult, error) {
	res := contract.RestoreResult{MigrationID: ref.MigrationID, RowCount: ref.RowCount, Checksum: ref.Checksum}
	tbl, _, err := loadTable(ctx, b.Catalog, "table", ref.Table)
	if err != nil {
		return res, err
	}
	props := tbl.Properties()
	if props[propRolledBack(ref.MigrationID)] != "" {
		res.Restored = true
		return res, nil
	}
	if props[propApplied(ref.MigrationID)] == "" {
		return res, nil
	}
	txn := tbl.NewTransaction()
	if err := restoreSchema(txn, tbl, ref); err != nil {
		return res, err
	}
	if cur := tbl.CurrentSnapshot(); ref.SnapshotID != 0 && cur != nil && cur.SnapshotID != ref.SnapshotID {
		if err := txn.RollbackToSnapshot(ref.SnapshotID); err != nil {
			return res, &contract.SchemaConflictError{Table: ref.Table, Detail: fmt.Sprintf("roll back to snapshot %d: %v", ref.SnapshotID, err)}
		}
	}
	if err := txn.SetProperties(iceberg.Properties{propRolledBack(ref.MigrationID): time.Now().UTC().Format(time.RFC3339)}); err != nil {
		return res, err
	}
	next, err := txn.Commit(ctx)
	if err != nil {
		return res, fmt.Errorf("commit restore of %s: %w", ref.Table, err)
	}
	if next.Schema().ID != ref.SchemaID {
		return res, fmt.Errorf("after restore %s has schema %d, backup had %d", ref.Table, next.Schema().ID, ref.SchemaID)
	}
	var cur int64
	if s := next.CurrentSnapshot(); s != nil {
		cur = s.SnapshotID
	}
	res.Checksum, res.RowCount, res.Restored = snapshotChecksum(cur), totalRecords(next.CurrentSnapshot()), true
	if res.Checksum != ref.Checksum {
		return res, fmt.Errorf("after restore %s is at %s, backup was %s", ref.Table, res.Checksum, ref.Checksum)
	}
	return res, nil
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
