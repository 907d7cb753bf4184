package extract

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/worker-pipeline/staging/stagingtest"
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

		r, err := store.NewReader(context.Background(), res.Files)
		require.NoError(b, err)
		var recs []arrow.RecordBatch
		for r.Next() {
			rec := r.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		require.NoError(b, r.Err())
		schema := r.Schema()
		r.Release()
		raw := float64(res.Rows) / rawWrite(b, schema, recs).Seconds()
		for _, rec := range recs {
			rec.Release()
		}
		b.ReportMetric(extract, "extract-rows/s")
		b.ReportMetric(raw, "raw-parquet-rows/s")
		b.ReportMetric(extract/raw, "extract/raw")
	}
}

// rawWrite writes recs to one local Parquet file and returns how long it took.
func rawWrite(b *testing.B, schema *arrow.Schema, recs []arrow.RecordBatch) time.Duration {
	f, err := os.Create(filepath.Join(b.TempDir(), "raw.parquet"))
	require.NoError(b, err)
	start := time.Now()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(64*1024))
	fw, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	require.NoError(b, err)
	for _, rec := range recs {
		require.NoError(b, fw.Write(rec))
	}
	require.NoError(b, fw.Close()) // closes f too
	return time.Since(start)
}
