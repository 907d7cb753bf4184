package staging

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Reader streams record batches from several Parquet files as one RecordReader, one
// file open at a time, so memory stays bounded by the batch size.
type Reader struct {
	ctx    context.Context
	store  *Store
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

// NewReader opens a reader over staged files, which must share one schema.
func (s *Store) NewReader(ctx context.Context, files []string) (*Reader, error) {
	if len(files) == 0 {
		return nil, errors.New("no staged files")
	}
	sc, err := s.Schema(ctx, files[0])
	if err != nil {
		return nil, err
	}
	r := &Reader{ctx: ctx, store: s, files: files, schema: sc}
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

func (r *Reader) openFile(key string) error {
	pf, err := r.store.openParquet(r.ctx, key)
	if err != nil {
		return err
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: BatchSize}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return err
	}
	sc, err := fr.Schema()
	if err != nil || !sc.Equal(r.schema) {
		pf.Close()
		return fmt.Errorf("%s: schema differs from %s", key, r.files[0])
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
