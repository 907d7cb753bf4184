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

func (e *Extractor) stream(ctx context.Context, db *sql.DB, kind, q string, schema *arrow.Schema, dir string, p Progress, beat func(Progress)) (Progress, error) {
	rowsPerFile, batchRows := e.RowsPerFile, e.BatchRows
	if rowsPerFile <= 0 {
		rowsPerFile = DefaultRowsPerFile
	}
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return p, fmt.Errorf("query %s source: %w", kind, err)
	}
	defer rows.Close()

	w := staging.NewWriter(dir, schema, rowsPerFile, len(p.Files))
	pending := int64(0)
	w.OnFileDone = func(path string, n int64) error {
		p.Files = append(p.Files, path)
		p.Rows += n
		pending -= n
		return nil
	}
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	vals := make([]any, len(schema.Fields()))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	flush := func() error {
		rec := bld.NewRecordBatch()
		defer rec.Release()
		if rec.NumRows() == 0 {
			return nil
		}
		if err := w.Write(rec); err != nil {
			return err
		}
		if beat != nil {
			beat(p)
		}
		return ctx.Err()
	}
	inBatch := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			w.Abort()
			return p, fmt.Errorf("read row %d: %w", p.Rows+pending+1, err)
		}
		for i, v := range vals {
			if err := appendValue(bld.Field(i), v); err != nil {
				w.Abort()
				return p, contract.Invalid("source", "column %q row %d: %v", schema.Field(i).Name, p.Rows+pending+1, err)
			}
		}
		inBatch++
		pending++
		if int64(inBatch) >= min(int64(batchRows), w.Room()) {
			if err := flush(); err != nil {
				w.Abort()
				return p, err
			}
			inBatch = 0
		}
	}
	if err := rows.Err(); err != nil {
		w.Abort()
		return p, fmt.Errorf("read %s source: %w", kind, err)
	}
	if err := flush(); err != nil {
		w.Abort()
		return p, err
	}
	if _, err := w.Close(); err != nil {
		return p, err
	}
	return p, nil
}
