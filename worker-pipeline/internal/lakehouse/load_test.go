package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/staging"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

// store is the staging store every test of this package stages into.
var store *staging.Store

func stage(t *testing.T, rows int) string {
	if store == nil {
		store = stagingtest.StoreAt(t, t.TempDir())
		t.Cleanup(func() { store = nil })
	}
	db := filepath.Join(t.TempDir(), "orders.db")
	require.NoError(t, demo.CreateOrders(context.Background(), db, demo.OrdersSpec{Rows: rows, NullRate: 0.1, Seed: 3}))
	e := &extract.Extractor{Store: store, Connections: testkit.Connections(t, testkit.SQLiteConn("orders", db)), RowsPerFile: 400}
	res, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "p", RunID: t.Name(),
		Source: contract.SourceConfig{Connection: "orders", Table: "orders"}}, extract.Progress{}, nil)
	require.NoError(t, err)
	return res.OutputPath
}

func TestLoadIsIdempotentByKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cat, closeCat, err := Open(ctx, Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
	require.NoError(t, err)
	defer closeCat()
	staged := stage(t, 1000)
	l := &Loader{Catalog: cat, Store: store}

	first, err := l.Load(ctx, contract.LoadInput{InputPath: staged, Destination: contract.DestinationConfig{Table: "analytics.orders"}, IdempotencyKey: "wf-1"})
	require.NoError(t, err)
	assert.Equal(t, int64(1000), first.Rows)
	assert.False(t, first.AlreadyLoaded)
	assert.NotZero(t, first.SnapshotID)

	again, err := l.Load(ctx, contract.LoadInput{InputPath: staged, Destination: contract.DestinationConfig{Table: "analytics.orders"}, IdempotencyKey: "wf-1"})
	require.NoError(t, err)
	assert.True(t, again.AlreadyLoaded)
	assert.Equal(t, first.SnapshotID, again.SnapshotID)
	assert.Equal(t, int64(1000), again.Rows)

	n, err := CountRows(ctx, cat, "analytics.orders")
	require.NoError(t, err)
	assert.Equal(t, int64(1000), n, "the retried load added nothing")

	other, err := l.Load(ctx, contract.LoadInput{InputPath: staged, Destination: contract.DestinationConfig{Table: "analytics.orders"}, IdempotencyKey: "wf-2"})
	require.NoError(t, err)
	assert.NotEqual(t, first.SnapshotID, other.SnapshotID)
	n, err = CountRows(ctx, cat, "analytics.orders")
	require.NoError(t, err)
	assert.Equal(t, int64(2000), n)
}

func TestIncompatibleSchemaIsAConflict(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cat, closeCat, err := Open(ctx, Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
	require.NoError(t, err)
	defer closeCat()
	staged := stage(t, 10)
	l := &Loader{Catalog: cat, Store: store}
	_, err = l.Load(ctx, contract.LoadInput{InputPath: staged, Destination: contract.DestinationConfig{Table: "analytics.orders"}, IdempotencyKey: "a"})
	require.NoError(t, err)

	// Stage a source whose amount column is text.
	other := filepath.Join(t.TempDir(), "text.db")
	require.NoError(t, demo.CreateOrders(ctx, other, demo.OrdersSpec{Rows: 5}))
	e := &extract.Extractor{Store: store, Connections: testkit.Connections(t, testkit.SQLiteConn("text", other))}
	res, err := e.Extract(ctx, contract.ExtractInput{PipelineID: "p", RunID: "r2",
		Source: contract.SourceConfig{Connection: "text", Query: "SELECT order_id, CAST(amount AS TEXT) AS amount FROM orders ORDER BY order_id"}}, extract.Progress{}, nil)
	require.NoError(t, err)
	_, err = l.Load(ctx, contract.LoadInput{InputPath: res.OutputPath, Destination: contract.DestinationConfig{Table: "analytics.orders"}, IdempotencyKey: "b"})
	var sc *contract.SchemaConflictError
	require.True(t, errors.As(err, &sc), "%v", err)
	assert.Contains(t, sc.Detail, `"amount"`)
}

// TestConcurrentLoadsIntoOneTableAllLand: runs on several worker processes load
// one table at once; each commit that loses the race is taken again on the new
// table, so every load lands once, in one attempt of the activity.
func TestConcurrentLoadsIntoOneTableAllLand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	staged := stage(t, 200)
	const loads = 6
	errs := make(chan error, loads)
	for i := 0; i < loads; i++ {
		go func() {
			// A catalog of its own, as another process would have.
			cat, closeCat, err := Open(ctx, Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
			if err != nil {
				errs <- err
				return
			}
			defer closeCat()
			_, err = (&Loader{Catalog: cat, Store: store}).Load(ctx, contract.LoadInput{InputPath: staged,
				Destination: contract.DestinationConfig{Table: "analytics.shared"}, IdempotencyKey: fmt.Sprintf("run-%d", i)})
			errs <- err
		}()
	}
	for i := 0; i < loads; i++ {
		require.NoError(t, <-errs)
	}
	cat, closeCat, err := Open(ctx, Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
	require.NoError(t, err)
	defer closeCat()
	n, err := CountRows(ctx, cat, "analytics.shared")
	require.NoError(t, err)
	assert.Equal(t, int64(loads*200), n, "each load once")
}

func TestBadCatalogConfig(t *testing.T) {
	_, _, err := Open(context.Background(), Config{Type: "hive"})
	assert.ErrorContains(t, err, "catalog-type")
	_, err = Ident("orders")
	assert.ErrorContains(t, err, "destination.table")
}
