package extract

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

// BenchmarkExtractAgainstRawParquet extracts a 1M-row SQLite table, then writes the
// very rows it staged, already in memory, straight to a Parquet file with arrow-go
// and the staging writer's properties: the fastest a Parquet write of them can go
// on this machine. It reports both in rows/s and extraction as a share of that
// limit (the target is at least 0.5).
func BenchmarkExtractAgainstRawParquet(b *testing.B) {
	const rows = 1_000_000
	for i := 0; i < b.N; i++ {
		db := demoDB(b, rows, 0.05)
		store := stagingtest.Store(b)
		start := time.Now()
		res, err := (&Extractor{Store: store, Connections: conns(b, db)}).Extract(context.Background(), input(db), Progress{}, nil)
		require.NoError(b, err)
		extract := float64(res.Rows) / time.Since(start).Seconds()
		raw := stagingtest.RawParquetRowsPerSecond(b, store, res.Files)
		b.ReportMetric(extract, "extract-rows/s")
		b.ReportMetric(raw, "raw-parquet-rows/s")
		b.ReportMetric(extract/raw, "extract/raw")
	}
}
