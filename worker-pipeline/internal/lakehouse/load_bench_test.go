package lakehouse

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

// BenchmarkLoadAgainstRawParquet stages a 1M-row table, loads it into a new Iceberg
// table (SQL catalog, local warehouse) in one commit, and writes the same rows
// straight to a Parquet file with arrow-go: the load's rows/s as a share of that
// limit (the target is at least 0.5).
func BenchmarkLoadAgainstRawParquet(b *testing.B) {
	const rows = 1_000_000
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		st := stagingtest.Store(b)
		db := filepath.Join(b.TempDir(), "orders.db")
		require.NoError(b, demo.CreateOrders(ctx, db, demo.OrdersSpec{Rows: rows, NullRate: 0.05, Seed: 1}))
		e := &extract.Extractor{Store: st, Connections: testkit.Connections(b, testkit.SQLiteConn("orders", db))}
		staged, err := e.Extract(ctx, contract.ExtractInput{PipelineID: "orders", RunID: "bench",
			Source: contract.SourceConfig{Connection: "orders", Table: "orders"}}, extract.Progress{}, nil)
		require.NoError(b, err)

		dir := b.TempDir()
		cat, closeCat, err := Open(ctx, Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
		require.NoError(b, err)
		start := time.Now()
		res, err := (&Loader{Catalog: cat, Store: st}).Load(ctx, contract.LoadInput{InputPath: staged.OutputPath,
			Destination: contract.DestinationConfig{Table: "bench.orders"}, IdempotencyKey: "bench-1"})
		require.NoError(b, err)
		load := float64(res.Rows) / time.Since(start).Seconds()
		n, err := CountRows(ctx, cat, "bench.orders")
		require.NoError(b, err)
		require.Equal(b, int64(rows), n)
		closeCat()

		raw := stagingtest.RawParquetRowsPerSecond(b, st, staged.Files)
		b.ReportMetric(load, "load-rows/s")
		b.ReportMetric(raw, "raw-parquet-rows/s")
		b.ReportMetric(load/raw, "load/raw")
	}
}
