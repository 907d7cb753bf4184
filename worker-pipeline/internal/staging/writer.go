package staging

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"gocloud.dev/blob"
)

// FileName is the name of the i-th staged file.
func FileName(i int) string { return TaggedFileName("", i) }

// TaggedFileName is the i-th file of a writer tagged tag ("r03-" for a key range), so
// several writers can share one prefix.
func TaggedFileName(tag string, i int) string { return fmt.Sprintf("part-%s%05d.parquet", tag, i) }

// Writer writes record batches into numbered Parquet files of at most RowsPerFile
// rows under one prefix. A file appears in the store only when it is closed whole:
// the store's writers commit on Close and discard on abort.
type Writer struct {
	ctx    context.Context
	store  *Store
	prefix string
	// Tag goes into the file names, for writers sharing a prefix.
	Tag         string
	schema      *arrow.Schema
	rowsPerFile int64

	next     int // index of the next file to open
	cur      *pqarrow.FileWriter
	curKey   string
	abort    context.CancelFunc // discards the file being written
	curRows  int64
	finished []string
	// OnFileDone is called after each file is complete and stored.
	OnFileDone func(key string, rows int64) error
}

// NewWriter writes files under prefix starting at file index first (for resumed runs).
func (s *Store) NewWriter(ctx context.Context, prefix string, schema *arrow.Schema, rowsPerFile int64, first int) *Writer {
	return &Writer{ctx: ctx, store: s, prefix: prefix, schema: schema, rowsPerFile: rowsPerFile, next: first}
}

// Write appends one batch, which must not span a file boundary: callers cut their
// batches at every rowsPerFile rows.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if w.cur == nil {
		if err := w.open(); err != nil {
			return err
		}
	}
	if err := w.cur.Write(rec); err != nil {
		return fmt.Errorf("write %s: %w", w.store.URLOf(w.curKey), err)
	}
	w.curRows += rec.NumRows()
	if w.curRows >= w.rowsPerFile {
		return w.closeCurrent()
	}
	return nil
}

// Close finishes the last file and returns every file this writer completed.
func (w *Writer) Close() ([]string, error) {
	if w.cur != nil && w.curRows > 0 {
		if err := w.closeCurrent(); err != nil {
			return nil, err
		}
	} else {
		w.Abort()
	}
	return w.finished, nil
}

// Abort discards the file being written.
func (w *Writer) Abort() {
	if w.cur != nil {
		w.abort()
		_ = w.cur.Close()
		w.cur = nil
	}
}

func (w *Writer) open() error {
	key := w.prefix + TaggedFileName(w.Tag, w.next)
	ctx, cancel := context.WithCancel(w.ctx)
	bw, err := w.store.loc.Bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/vnd.apache.parquet"})
	if err != nil {
		cancel()
		return fmt.Errorf("create staging file %s: %w", w.store.URLOf(key), err)
	}
	fw, err := pqarrow.NewFileWriter(w.schema, bw, writerProps(w.schema), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		cancel()
		_ = bw.Close()
		return fmt.Errorf("open parquet writer: %w", err)
	}
	w.cur, w.curKey, w.abort, w.curRows = fw, key, cancel, 0
	return nil
}

// writerProps are the staged files' Parquet settings: Snappy, 64K-row groups, and
// dictionary encoding only where values repeat. Integer, float and timestamp
// columns of extracted tables are mostly keys, amounts and instants: a dictionary
// of them is built, outgrows its page and is dropped, costing a hash per value.
func writerProps(schema *arrow.Schema) *parquet.WriterProperties {
	opts := []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(64 * 1024)}
	for _, f := range schema.Fields() {
		switch f.Type.ID() {
		case arrow.INT64, arrow.FLOAT64, arrow.TIMESTAMP:
			opts = append(opts, parquet.WithDictionaryFor(f.Name, false))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

func (w *Writer) closeCurrent() error {
	key := w.curKey
	err := w.cur.Close() // also closes, and so commits, the store's writer
	w.abort()
	if err != nil {
		return fmt.Errorf("store %s: %w", w.store.URLOf(key), err)
	}
	rows := w.curRows
	w.cur, w.curRows = nil, 0
	w.next++
	w.finished = append(w.finished, key)
	if w.OnFileDone != nil {
		return w.OnFileDone(key, rows)
	}
	return nil
}
