package stagingtest

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

	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// RawParquetRowsPerSecond reads the staged files into memory, then writes those
// rows straight to one local Parquet file with arrow-go and the staging writer's
// properties: the fastest a Parquet write of them can go on this machine, the
// baseline extraction and load are measured against.
func RawParquetRowsPerSecond(b *testing.B, store *staging.Store, files []string) float64 {
	b.Helper()
	r, err := store.NewReader(context.Background(), files)
	if err != nil {
		b.Fatal(err)
	}
	var recs []arrow.RecordBatch
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := r.Err(); err != nil {
		b.Fatal(err)
	}
	schema := r.Schema()
	r.Release()
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	var rows int64
	for _, rec := range recs {
		rows += rec.NumRows()
	}
	f, err := os.Create(filepath.Join(b.TempDir(), "raw.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(64*1024))
	fw, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		b.Fatal(err)
	}
	for _, rec := range recs {
		if err := fw.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := fw.Close(); err != nil { // closes f too
		b.Fatal(err)
	}
	return float64(rows) / time.Since(start).Seconds()
}
