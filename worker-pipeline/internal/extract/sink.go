package extract

import (
	"context"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// sink batches rows into record batches and hands them to the staging writer on
// a goroutine of its own, so reading the source and encoding Parquet each take a
// core. It tracks the resume point (complete files only).
type sink struct {
	ctx         context.Context
	schema      *arrow.Schema
	bld         *array.RecordBuilder
	times       []timeParser // per column
	batchRows   int64
	rowsPerFile int64
	inBatch     int64
	inFile      int64 // rows sent into the current file, which the writer closes at rowsPerFile
	read        int64 // rows read by this attempt
	resumed     int64 // rows before this attempt

	w       *staging.Writer
	batches chan arrow.RecordBatch
	done    chan struct{} // closed when the writing goroutine has stopped
	mu      sync.Mutex
	p       Progress
	werr    error // the first write error
	beat    func(Progress)
	// keyCol is the key column (keyAt) whose last value in each finished file becomes
	// Progress.After (-1: none); lastKey is that of the batch being written.
	keyCol  int
	lastKey int64
}

// sinkOpts place a sink's files: a tag in their names, and the key column that
// makes its resume point a key.
type sinkOpts struct {
	tag    string
	keyCol int
}

var plainSink = sinkOpts{keyCol: -1}

func (e *Extractor) newSink(ctx context.Context, schema *arrow.Schema, dir string, p Progress, beat func(Progress), opts sinkOpts) *sink {
	rowsPerFile, batchRows := e.RowsPerFile, int64(e.BatchRows)
	if rowsPerFile <= 0 {
		rowsPerFile = DefaultRowsPerFile
	}
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	s := &sink{ctx: ctx, schema: schema, bld: array.NewRecordBuilder(memory.DefaultAllocator, schema),
		times: make([]timeParser, len(schema.Fields())), batchRows: batchRows, rowsPerFile: rowsPerFile,
		resumed: p.Rows, w: e.Store.NewWriter(ctx, dir, schema, rowsPerFile, len(p.Files)),
		batches: make(chan arrow.RecordBatch, 2), done: make(chan struct{}), p: p, beat: beat, keyCol: opts.keyCol}
	s.w.Tag = opts.tag
	s.w.OnFileDone = func(path string, n int64) error {
		s.mu.Lock()
		s.p.Files = append(slices.Clip(s.p.Files), path)
		s.p.Rows += n
		if s.keyCol >= 0 {
			after := s.lastKey
			s.p.After = &after
		}
		s.mu.Unlock()
		return nil
	}
	go s.write()
	return s
}

// write is the writing goroutine: it stores each batch and heartbeats the resume
// point. After a failure it only releases what still arrives.
func (s *sink) write() {
	defer close(s.done)
	for rec := range s.batches {
		if s.keyCol >= 0 && rec.NumRows() > 0 {
			if last, ok := keyAt(rec.Column(s.keyCol), int(rec.NumRows())-1); ok {
				s.mu.Lock()
				s.lastKey = last
				s.mu.Unlock()
			}
		}
		if s.failed() == nil {
			if err := s.w.Write(rec); err != nil {
				s.mu.Lock()
				s.werr = err
				s.mu.Unlock()
			} else if s.beat != nil {
				s.beat(s.progress())
			}
		}
		rec.Release()
	}
}

func (s *sink) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.werr
}

func (s *sink) progress() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.clone()
}

// row is the 1-based number of the row being read, for error messages.
func (s *sink) row() int64 { return s.resumed + s.read + 1 }

func (s *sink) add(vals []any) error {
	for i, v := range vals {
		if err := appendValue(s.bld.Field(i), v, &s.times[i]); err != nil {
			return contract.Invalid("source", "column %q row %d: %v", s.schema.Field(i).Name, s.row(), err)
		}
	}
	return s.rowDone()
}

// rowDone counts a row whose values are in the builders, and sends the batch when
// it is full.
func (s *sink) rowDone() error {
	s.read++
	s.inBatch++
	if s.inBatch >= min(s.batchRows, s.rowsPerFile-s.inFile) {
		return s.flush()
	}
	return nil
}

// flush sends the batch built so far to the writing goroutine.
func (s *sink) flush() error {
	rec := s.bld.NewRecordBatch()
	n := rec.NumRows()
	s.inBatch = 0
	if n == 0 {
		rec.Release()
		return nil
	}
	if s.inFile += n; s.inFile >= s.rowsPerFile {
		s.inFile = 0
	}
	select {
	case s.batches <- rec:
	case <-s.ctx.Done():
		rec.Release()
		return s.ctx.Err()
	}
	return s.failed()
}

// stop ends the writing goroutine and frees the builder.
func (s *sink) stop() {
	close(s.batches)
	<-s.done
	s.bld.Release()
}

// close writes the last batch and finishes the last file.
func (s *sink) close() (Progress, error) {
	if err := s.flush(); err != nil {
		return s.abort(err)
	}
	s.stop()
	if err := s.failed(); err != nil {
		s.w.Abort()
		return s.p, err
	}
	if _, err := s.w.Close(); err != nil {
		return s.p, err
	}
	return s.p, s.ctx.Err()
}

// abort stops writing and removes the file being written, returning err.
func (s *sink) abort(err error) (Progress, error) {
	s.stop()
	s.w.Abort()
	return s.p, err
}
