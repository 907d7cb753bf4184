package icebergops

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

// newTable creates analytics.orders in a fresh catalog and appends `commits`
// batches of `rows` rows, one data file each.
func newTable(t *testing.T, commits, rows int) catalog.Catalog {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cat, closeFn, err := Open(filepath.Join(dir, "catalog.db"), filepath.Join(dir, "warehouse"), nil)
	require.NoError(t, err)
	t.Cleanup(closeFn)
	require.NoError(t, cat.CreateNamespace(ctx, catalog.ToIdentifier("analytics"), nil))
	sc := iceberg.NewSchema(0,
		iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64, Required: false},
		iceberg.NestedField{ID: 2, Name: "customer", Type: iceberg.PrimitiveTypes.String, Required: false})
	tbl, err := cat.CreateTable(ctx, catalog.ToIdentifier("analytics", "orders"), sc)
	require.NoError(t, err)
	asc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "customer", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	for c := 0; c < commits; c++ {
		b := array.NewRecordBuilder(memory.DefaultAllocator, asc)
		for r := 0; r < rows; r++ {
			b.Field(0).(*array.Int64Builder).Append(int64(c*rows + r))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("c%d", r))
		}
		rec := b.NewRecordBatch()
		at := array.NewTableFromRecords(asc, []arrow.RecordBatch{rec})
		tbl, err = tbl.AppendTable(ctx, at, int64(rows), nil)
		require.NoError(t, err)
		at.Release()
		rec.Release()
		b.Release()
	}
	return cat
}

func scanRows(t *testing.T, cat catalog.Catalog) (int64, []string) {
	t.Helper()
	tbl, err := cat.LoadTable(context.Background(), catalog.ToIdentifier("analytics", "orders"))
	require.NoError(t, err)
	at, err := tbl.Scan().ToArrowTable(context.Background())
	require.NoError(t, err)
	defer at.Release()
	var cols []string
	for _, f := range at.Schema().Fields() {
		cols = append(cols, f.Name)
	}
	return at.NumRows(), cols
}

func TestCompactionOfTwentySmallFiles(t *testing.T) {
	cat := newTable(t, 20, 50)
	m := &Maintainer{Catalog: cat}
	res, err := m.Compact(context.Background(), contract.CompactionRequest{Table: "analytics.orders"})
	require.NoError(t, err)
	t.Logf("compaction: %+v", res)
	assert.Equal(t, 20, res.FilesBefore)
	assert.Less(t, res.FilesAfter, res.FilesBefore)
	assert.Equal(t, int64(1000), res.Rows)
	assert.Equal(t, int64(1000), res.RowsAfter)
	assert.Positive(t, res.BytesBefore)
	assert.Positive(t, res.BytesAfter)
	n, _ := scanRows(t, cat)
	assert.Equal(t, int64(1000), n, "a scan reads the same rows")

	again, err := m.Compact(context.Background(), contract.CompactionRequest{Table: "analytics.orders"})
	require.NoError(t, err)
	assert.NotEmpty(t, again.Skipped, "nothing left to compact")

	exp, err := m.Expire(context.Background(), contract.ExpiryRequest{Table: "analytics.orders", RetainLast: 1, OlderThan: contract.Duration(time.Nanosecond)})
	require.NoError(t, err)
	assert.Equal(t, 20, exp.SnapshotsExpired, "21 snapshots, 1 kept")
	n, _ = scanRows(t, cat)
	assert.Equal(t, int64(1000), n)
}

// TestMaintenanceHeartbeatsWhileItRuns: the rewrite and the expiry commit each
// heartbeat from a ticker while they run, not only between steps, so one longer than
// the 30 s heartbeat timeout is not taken for a dead worker.
func TestMaintenanceHeartbeatsWhileItRuns(t *testing.T) {
	cat := newTable(t, 20, 50)
	var mu sync.Mutex
	beats := map[string]int{}
	m := &Maintainer{Catalog: cat, KeepAlive: time.Millisecond, Heartbeat: func(_ context.Context, details ...any) {
		mu.Lock()
		defer mu.Unlock()
		beats[fmt.Sprint(details...)]++
	}}
	_, err := m.Compact(context.Background(), contract.CompactionRequest{Table: "analytics.orders"})
	require.NoError(t, err)
	_, err = m.Expire(context.Background(), contract.ExpiryRequest{Table: "analytics.orders", RetainLast: 1, OlderThan: contract.Duration(time.Nanosecond)})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.GreaterOrEqual(t, beats["compacting"], 3, "%v", beats)
	assert.Positive(t, beats["expiring"], "%v", beats)
	assert.Equal(t, 1, beats["committed"], "the steps still report themselves")
}

func migration() contract.MigrationConfig {
	return contract.MigrationConfig{
		MigrationID: "m_ice", Target: contract.TargetIceberg, Table: "analytics.orders",
		AddColumns:      []contract.ColumnSpec{{Name: "note", Type: "string"}, {Name: "amount", Type: "decimal(10, 2)"}},
		ExpectedColumns: []contract.ColumnSpec{{Name: "note", Type: "string"}, {Name: "amount", Type: "decimal(10,2)"}},
		DataPreserving:  true,
	}
}

func TestAddColumnThenRollBack(t *testing.T) {
	ctx := context.Background()
	cat := newTable(t, 3, 10)
	b := &Backend{Catalog: cat}
	cfg := migration()
	require.NoError(t, b.Validate(ctx, cfg))
	ref, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, int64(30), ref.RowCount)
	assert.Equal(t, "matih-backup-m_ice", ref.Location)
	again, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, ref, again)

	applied, err := b.Apply(ctx, cfg)
	require.NoError(t, err)
	assert.NotEqual(t, ref.SchemaID, applied.SchemaID)
	second, err := b.Apply(ctx, cfg)
	require.NoError(t, err)
	assert.True(t, second.AlreadyApplied)
	n, cols := scanRows(t, cat)
	assert.Equal(t, int64(30), n)
	assert.Equal(t, []string{"id", "customer", "note", "amount"}, cols)

	pv, err := b.PostValidate(ctx, cfg, ref)
	require.NoError(t, err)
	assert.True(t, pv.Passed, "%v", pv.Failures)

	res, err := b.Restore(ctx, ref)
	require.NoError(t, err)
	assert.True(t, res.Restored)
	assert.Equal(t, ref.Checksum, res.Checksum)
	n, cols = scanRows(t, cat)
	assert.Equal(t, int64(30), n)
	assert.Equal(t, []string{"id", "customer"}, cols)
	tbl, err := cat.LoadTable(ctx, catalog.ToIdentifier("analytics", "orders"))
	require.NoError(t, err)
	assert.Equal(t, ref.SchemaID, tbl.Schema().ID)
	assert.Equal(t, ref.SnapshotID, tbl.SnapshotByName(table.MainBranch).SnapshotID)
}

func TestIcebergBadInputs(t *testing.T) {
	ctx := context.Background()
	cat := newTable(t, 1, 5)
	b := &Backend{Catalog: cat}
	cases := map[string]struct {
		edit func(*contract.MigrationConfig)
		want string
	}{
		"unknown table":   {func(c *contract.MigrationConfig) { c.Table = "analytics.nope" }, "invalid table"},
		"existing column": {func(c *contract.MigrationConfig) { c.AddColumns[0].Name = "customer" }, "add_columns[0]: column \"customer\" already exists"},
		"unknown type":    {func(c *contract.MigrationConfig) { c.AddColumns[1].Type = "varchar" }, "add_columns[1].type"},
		"statements":      {func(c *contract.MigrationConfig) { c.Statements = []string{"ALTER TABLE x"} }, "invalid statements"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := migration()
			cfg.AddColumns = append([]contract.ColumnSpec(nil), cfg.AddColumns...)
			tc.edit(&cfg)
			err := b.Validate(ctx, cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	cfg := migration()
	_, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	err = b.Validate(ctx, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already in the table's ledger")
}

// applied is a 30-row table with migration() backed up and applied.
func applied(t *testing.T) (catalog.Catalog, *Backend, contract.MigrationConfig, contract.BackupRef) {
	t.Helper()
	cat := newTable(t, 3, 10)
	b := &Backend{Catalog: cat}
	cfg := migration()
	ref, err := b.Backup(context.Background(), cfg)
	require.NoError(t, err)
	_, err = b.Apply(context.Background(), cfg)
	require.NoError(t, err)
	return cat, b, cfg, ref
}

// appendRows appends n rows with ids from first, as a pipeline load does.
func appendRows(t *testing.T, cat catalog.Catalog, first, n int) {
	t.Helper()
	ctx := context.Background()
	tbl, err := cat.LoadTable(ctx, catalog.ToIdentifier("analytics", "orders"))
	require.NoError(t, err)
	asc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "customer", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, asc)
	defer b.Release()
	for r := 0; r < n; r++ {
		b.Field(0).(*array.Int64Builder).Append(int64(first + r))
		b.Field(1).(*array.StringBuilder).Append("concurrent")
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	at := array.NewTableFromRecords(asc, []arrow.RecordBatch{rec})
	defer at.Release()
	_, err = tbl.AppendTable(ctx, at, int64(n), nil)
	require.NoError(t, err)
}

// TestARolledBackMigrationKeepsAConcurrentLoad: a load commits while a migration
// runs; the migration's post-validation fails and it rolls back. The schema is the
// backup's again, and the load's rows are still there.
func TestARolledBackMigrationKeepsAConcurrentLoad(t *testing.T) {
	ctx := context.Background()
	cat, b, cfg, ref := applied(t)
	appendRows(t, cat, 1000, 7) // the pipeline's load, reported COMPLETED

	cfg.ExpectedColumns = append(cfg.ExpectedColumns, contract.ColumnSpec{Name: "region", Type: "string"})
	pv, err := b.PostValidate(ctx, cfg, ref)
	require.NoError(t, err)
	require.False(t, pv.Passed)
	assert.Len(t, pv.Failures, 1, "only the missing column fails: data_preserving holds with a concurrent append: %v", pv.Failures)

	res, err := b.Restore(ctx, ref)
	require.NoError(t, err)
	assert.True(t, res.Restored)
	assert.Equal(t, int64(37), res.RowCount)
	n, cols := scanRows(t, cat)
	assert.Equal(t, int64(37), n, "the concurrent load's rows survive the rollback")
	assert.Equal(t, []string{"id", "customer"}, cols)
	again, err := b.Restore(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, res, again, "a retried restore reports the same")
}

// TestAFailedRestoreCheckIsNeverRetriedIntoRestored: main was rewound behind the
// backup by someone else; the restore check fails for good, every time.
func TestAFailedRestoreCheckIsNeverRetriedIntoRestored(t *testing.T) {
	ctx := context.Background()
	cat, b, _, ref := applied(t)
	tbl, err := cat.LoadTable(ctx, catalog.ToIdentifier("analytics", "orders"))
	require.NoError(t, err)
	first := tbl.Metadata().Snapshots()[0].SnapshotID
	txn := tbl.NewTransaction()
	require.NoError(t, txn.RollbackToSnapshot(first))
	_, err = txn.Commit(ctx)
	require.NoError(t, err)

	for attempt := 1; attempt <= 2; attempt++ {
		res, err := b.Restore(ctx, ref)
		var sc *contract.SchemaConflictError
		require.True(t, errors.As(err, &sc), "attempt %d: %v", attempt, err)
		assert.Contains(t, sc.Detail, "no longer in main's history")
		assert.False(t, res.Restored, "attempt %d", attempt)
	}
}
