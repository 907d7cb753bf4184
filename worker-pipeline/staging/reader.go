package staging

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Files lists the complete staged Parquet files of a folder in order.
func Files(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "part-*.parquet"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// Schema reads the Arrow schema of a staged file.
func Schema(path string) (*arrow.Schema, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	return fr.Schema()
}

// Reader streams record batches from several Parquet files as one RecordReader, one
// file open at a time, so memory stays bounded by the batch size.
type Reader struct {
	ctx    context.Context
	files  []string
	schema *arrow.Schema
	idx    int
	pf     *file.Reader
	rr     pqarrow.RecordReader
	rec    arrow.RecordBatch
	err    error
	refs   atomic.Int64
	// Rows counts the rows handed out so far.
	Rows int64
}

// BatchSize is how many rows each batch holds when reading staged files.
const BatchSize = 16 * 1024

// NewReader opens a reader over files, which must share one schema.
func NewReader(ctx context.Context, files []string) (*Reader, error) {
	if len(files) == 0 {
		return nil, errors.New("no staged files")
	}
	sc, err := Schema(files[0])
	if err != nil {
		return nil, err
	}
	r := &Reader{ctx: ctx, files: files, schema: sc}
	r.refs.Store(1)
	return r, nil
}

func (r *Reader) Retain()               { r.refs.Add(1) }
func (r *Reader) Schema() *arrow.Schema { return r.schema }
func (r *Reader) Err() error            { return r.err }

// Release closes the open file when the last reference goes.
func (r *Reader) Release() {
	if r.refs.Add(-1) == 0 {
		r.closeFile()
	}
}

// RecordBatch is the current batch, valid until the next call to Next.
func (r *Reader) RecordBatch() arrow.RecordBatch { return r.rec }

// Record is RecordBatch under its deprecated name, which the interface still requires.
func (r *Reader) Record() arrow.RecordBatch { return r.rec }

// Next advances to the next batch across files.
func (r *Reader) Next() bool {
	for r.err == nil {
		if r.rr == nil {
			if r.idx >= len(r.files) {
				return false
			}
			if err := r.openFile(r.files[r.idx]); err != nil {
				r.err = err
				return false
			}
		}
		if r.rr.Next() {
			r.rec = r.rr.RecordBatch()
			r.Rows += r.rec.NumRows()
			return true
		}
		if err := r.rr.Err(); err != nil && !errors.Is(err, context.Canceled) {
			r.err = fmt.Errorf("read %s: %w", r.files[r.idx], err)
		}
		r.closeFile()
		r.idx++
		if err := r.ctx.Err(); err != nil {
			r.err = err
		}
	}
	return false
}

func (r *Reader) openFile(path string) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: BatchSize}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return err
	}
	sc, err := fr.Schema()
	if err != nil || !sc.Equal(r.schema) {
		pf.Close()
		return fmt.Errorf("%s: schema differs from %s", path, r.files[0])
	}
	rr, err := fr.GetRecordReader(r.ctx, nil, nil)
	if err != nil {
		pf.Close()
		return err
	}
	r.pf, r.rr = pf, rr
	return nil
}

func (r *Reader) closeFile() {
	if r.rr != nil {
		r.rr.Release()
		r.rr = nil
	}
	if r.pf != nil {
		r.pf.Close()
		r.pf = nil
	}
}

// RowCount reads a staged file's row count from its footer.
func RowCount(path string) (int64, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer pf.Close()
	return pf.NumRows(), nil
}
