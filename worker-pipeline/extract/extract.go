package extract

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/staging"
)

// Defaults for file and batch sizes.
const (
	DefaultRowsPerFile = 250_000
	DefaultBatchRows   = 8192
)

// Progress is what extraction records in heartbeats: the complete files so far and the
// rows they hold. A retry resumes after them.
type Progress struct {
	Files []string `json:"files"`
	Rows  int64    `json:"rows"`
}

// Extractor stages SQL sources as Parquet.
type Extractor struct {
	StagingRoot string // used when a pipeline names no staging_path
	RowsPerFile int64
	BatchRows   int
}

// Extract streams the source into dir/<pipeline>/<run>/part-NNNNN.parquet. beat is
// called after every batch with the resume point (complete files only).
func (e *Extractor) Extract(ctx context.Context, in contract.ExtractInput, resume Progress, beat func(Progress)) (contract.ExtractionResult, error) {
	if err := in.Source.Validate("source"); err != nil {
		return contract.ExtractionResult{}, err
	}
	dir, err := e.runDir(in)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	db, err := Open(ctx, in.Source)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	defer db.Close()
	q, ordered := Query(in.Source, UniqueOrder(ctx, db, in.Source))
	cols, err := Probe(ctx, db, q)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	schema, desc := arrowSchema(cols)
	if !ordered || !filesPresent(resume.Files) {
		resume = Progress{}
	}
	if err := clearAfter(dir, len(resume.Files)); err != nil {
		return contract.ExtractionResult{}, err
	}
	p, err := e.stream(ctx, db, in.Source.Kind, withOffset(in.Source.Kind, q, resume.Rows), schema, dir, resume, beat)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	return contract.ExtractionResult{OutputPath: dir, Files: p.Files, Rows: p.Rows, Schema: desc}, nil
}

var unsafeRe = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func (e *Extractor) runDir(in contract.ExtractInput) (string, error) {
	root := in.StagingPath
	if root != "" {
		if st, err := os.Stat(root); err != nil || !st.IsDir() {
			return "", contract.Invalid("staging_path", "an existing folder on the worker, got %q", root)
		}
	} else {
		root = e.StagingRoot
	}
	dir := filepath.Join(root, unsafeRe.ReplaceAllString(in.PipelineID, "_"), unsafeRe.ReplaceAllString(in.RunID, "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create staging folder: %w", err)
	}
	return dir, nil
}

func filesPresent(files []string) bool {
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return false
		}
	}
	return true
}

// clearAfter removes files from an earlier attempt beyond the resume point, and
// temporary files, so the folder holds exactly what this attempt will report.
func clearAfter(dir string, keep int) error {
	files, err := staging.Files(dir)
	if err != nil {
		return err
	}
	for i, f := range files {
		if i >= keep {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	for _, t := range tmps {
		_ = os.Remove(t)
	}
	return nil
}

// stream reads q and writes its rows through a sink; on any error the file being
// written is removed, so only complete files remain.
func (e *Extractor) stream(ctx context.Context, db *sql.DB, kind, q string, schema *arrow.Schema, dir string, p Progress, beat func(Progress)) (Progress, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return p, fmt.Errorf("query %s source: %w", kind, err)
	}
	defer rows.Close()
	s := e.newSink(ctx, schema, dir, p, beat)
	defer s.bld.Release()
	vals := make([]any, len(schema.Fields()))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			s.w.Abort()
			return s.p, fmt.Errorf("read row %d: %w", s.row(), err)
		}
		if err := s.add(vals); err != nil {
			s.w.Abort()
			return s.p, err
		}
	}
	if err := rows.Err(); err != nil {
		s.w.Abort()
		return s.p, fmt.Errorf("read %s source: %w", kind, err)
	}
	if err := s.flush(); err != nil {
		s.w.Abort()
		return s.p, err
	}
	_, err = s.w.Close()
	return s.p, err
}

// sink batches rows into record batches and hands them to the staging writer,
// tracking the resume point (complete files only).
type sink struct {
	ctx       context.Context
	schema    *arrow.Schema
	w         *staging.Writer
	bld       *array.RecordBuilder
	batchRows int64
	inBatch   int64
	pending   int64 // rows written but not yet in a complete file
	p         Progress
	beat      func(Progress)
}

func (e *Extractor) newSink(ctx context.Context, schema *arrow.Schema, dir string, p Progress, beat func(Progress)) *sink {
	rowsPerFile, batchRows := e.RowsPerFile, int64(e.BatchRows)
	if rowsPerFile <= 0 {
		rowsPerFile = DefaultRowsPerFile
	}
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	s := &sink{ctx: ctx, schema: schema, w: staging.NewWriter(dir, schema, rowsPerFile, len(p.Files)),
		bld: array.NewRecordBuilder(memory.DefaultAllocator, schema), batchRows: batchRows, p: p, beat: beat}
	s.w.OnFileDone = func(path string, n int64) error {
		s.p.Files = append(s.p.Files, path)
		s.p.Rows += n
		s.pending -= n
		return nil
	}
	return s
}

// row is the 1-based number of the row being read, for error messages.
func (s *sink) row() int64 { return s.p.Rows + s.pending + 1 }

func (s *sink) add(vals []any) error {
	for i, v := range vals {
		if err := appendValue(s.bld.Field(i), v); err != nil {
			return contract.Invalid("source", "column %q row %d: %v", s.schema.Field(i).Name, s.row(), err)
		}
	}
	s.inBatch++
	s.pending++
	if s.inBatch >= min(s.batchRows, s.w.Room()) {
		s.inBatch = 0
		return s.flush()
	}
	return nil
}

// flush writes the batch built so far and heartbeats the resume point.
func (s *sink) flush() error {
	rec := s.bld.NewRecordBatch()
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	if err := s.w.Write(rec); err != nil {
		return err
	}
	if s.beat != nil {
		s.beat(s.p)
	}
	return s.ctx.Err()
}
