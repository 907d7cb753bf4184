package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-infra/internal/icebergops"
)

// icebergTable creates ns.name in the worker's catalog with `commits` appends of
// `rows` rows each (one small data file per commit).
func icebergTable(t *testing.T, cfg Config, ns, name string, commits, rows int) catalog.Catalog {
	t.Helper()
	ctx := context.Background()
	cat, closeFn, err := icebergops.Open(cfg.CatalogURI, cfg.Warehouse, nil)
	require.NoError(t, err)
	t.Cleanup(closeFn)
	if ok, _ := cat.CheckNamespaceExists(ctx, catalog.ToIdentifier(ns)); !ok {
		require.NoError(t, cat.CreateNamespace(ctx, catalog.ToIdentifier(ns), nil))
	}
	sc := iceberg.NewSchema(0,
		iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64},
		iceberg.NestedField{ID: 2, Name: "customer", Type: iceberg.PrimitiveTypes.String})
	tbl, err := cat.CreateTable(ctx, catalog.ToIdentifier(ns, name), sc)
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

// scan reads the table back: row count, column names and data file count.
func scan(t *testing.T, cat catalog.Catalog, ns, name string) (int64, []string, int) {
	t.Helper()
	ctx := context.Background()
	tbl, err := cat.LoadTable(ctx, catalog.ToIdentifier(ns, name))
	require.NoError(t, err)
	at, err := tbl.Scan().ToArrowTable(ctx)
	require.NoError(t, err)
	defer at.Release()
	var cols []string
	for _, f := range at.Schema().Fields() {
		cols = append(cols, f.Name)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	require.NoError(t, err)
	return at.NumRows(), cols, len(tasks)
}

func TestIcebergOnDevServer(t *testing.T) {
	e := startEnv(t)

	t.Run("add a column then roll back", func(t *testing.T) { icebergAddThenRollBack(t, e) })
	t.Run("add a column", func(t *testing.T) { icebergAddColumn(t, e) })
	t.Run("maintenance compacts 20 small files", func(t *testing.T) { maintenanceCompacts(t, e) })
}

func icebergAddThenRollBack(t *testing.T, e *env) {
	cat := icebergTable(t, e.cfg, "analytics", "orders", 3, 10)
	res, err := e.run(t, contract.MigrationConfig{
		MigrationID: "m_ice_note", Target: contract.TargetIceberg, Table: "analytics.orders",
		AddColumns: []contract.ColumnSpec{{Name: "note", Type: "string"}},
		// The wrong expected type makes post-validation fail, so the workflow rolls back.
		ExpectedColumns: []contract.ColumnSpec{{Name: "note", Type: "long"}},
		DataPreserving:  true,
	}, "iceberg_rolled_back.json")
	require.NoError(t, err)
	assert.Equal(t, contract.StatusRolledBack, res.Status)
	assert.Contains(t, res.Failures[0], `column "note" is string, expected long`)
	n, cols, _ := scan(t, cat, "analytics", "orders")
	assert.Equal(t, int64(30), n)
	assert.Equal(t, []string{"id", "customer"}, cols)
	tbl, err := cat.LoadTable(context.Background(), catalog.ToIdentifier("analytics", "orders"))
	require.NoError(t, err)
	assert.Equal(t, res.Backup.SchemaID, tbl.Schema().ID)
	assert.NotNil(t, tbl.SnapshotByName(icebergops.TagName("m_ice_note")), "the backup tag stays")
}

func icebergAddColumn(t *testing.T, e *env) {
	cat := icebergTable(t, e.cfg, "analytics", "events", 2, 10)
	res, err := e.run(t, contract.MigrationConfig{
		MigrationID: "m_ice_add", Target: contract.TargetIceberg, Table: "analytics.events",
		AddColumns:      []contract.ColumnSpec{{Name: "region", Type: "string"}},
		ExpectedColumns: []contract.ColumnSpec{{Name: "region", Type: "string"}},
		DataPreserving:  true,
	}, "")
	require.NoError(t, err)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	n, cols, _ := scan(t, cat, "analytics", "events")
	assert.Equal(t, int64(20), n)
	assert.Equal(t, []string{"id", "customer", "region"}, cols)
}

func maintenanceCompacts(t *testing.T, e *env) {
	cat := icebergTable(t, e.cfg, "lake", "clicks", 20, 25)
	_, _, filesBefore := scan(t, cat, "lake", "clicks")
	require.Equal(t, 20, filesBefore)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := e.ds.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contract.MaintenanceWorkflowID(time.Now()), TaskQueue: contract.InfraQueue,
	}, contract.TableMaintenanceWorkflow, contract.MaintenanceConfig{
		Tables: []string{"lake.clicks"}, RetainLastNumber: 1, ExpireOlderThan: contract.Duration(time.Millisecond),
	})
	require.NoError(t, err)
	var res contract.MaintenanceResult
	require.NoError(t, run.Get(ctx, &res))
	if *record {
		writeFixture(t, e.ds.Client, run.GetID(), "maintenance", "compacted")
	}
	t.Logf("maintenance: %+v", res)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	r := res.Tables[0]
	assert.Equal(t, 20, r.FilesBefore)
	assert.Less(t, r.FilesAfter, r.FilesBefore)
	assert.Equal(t, int64(500), r.Rows)
	assert.Equal(t, int64(500), r.RowsAfter)
	assert.Equal(t, 21, r.SnapshotsExpired+1, "20 appends + 1 rewrite, 1 kept")
	n, _, filesAfter := scan(t, cat, "lake", "clicks")
	assert.Equal(t, int64(500), n)
	assert.Equal(t, r.FilesAfter, filesAfter)
}
