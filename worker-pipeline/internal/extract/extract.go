package extract

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/keepalive"
	"github.com/matih/ops/worker-pipeline/internal/spark"
	"github.com/matih/ops/worker-pipeline/internal/staging"
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
	// After is the key of the last row in Files, for a key range read by key.
	After *int64 `json:"after,omitempty"`
	// Ranges are the key ranges of a parallel read, each with its own progress;
	// Files and Rows then sum them.
	Ranges []RangeProgress `json:"ranges,omitempty"`
}

// clone copies p deeply, for a heartbeat sent from another goroutine.
func (p Progress) clone() Progress {
	c := Progress{Files: slices.Clone(p.Files), Rows: p.Rows}
	if p.After != nil {
		a := *p.After
		c.After = &a
	}
	for _, r := range p.Ranges {
		c.Ranges = append(c.Ranges, RangeProgress{Lo: r.Lo, Hi: r.Hi, Done: r.Done, Progress: r.Progress.clone()})
	}
	return c
}

// Extractor stages SQL sources as Parquet in the staging store.
type Extractor struct {
	Store       *staging.Store
	Connections *connections.Registry // the databases workflows may name
	RowsPerFile int64
	BatchRows   int
	// KeepAlive is how often beat is called while the source has not answered yet
	// (default 5 s), so a slow first batch does not miss the heartbeat timeout.
	KeepAlive time.Duration
	// SparkFor gives the Spark service of a spark connection; nil means its Livy server.
	SparkFor func(connections.Connection) (spark.Submitter, error)
}

// RunPrefix is where a run's extraction is staged: <staging_path or pipeline>/<run>/extract/.
func RunPrefix(in contract.ExtractInput) string {
	if in.OutputPrefix != "" {
		return in.OutputPrefix
	}
	if in.StagingPath != "" {
		return in.StagingPath + staging.Prefix(in.RunID, "extract")
	}
	return staging.Prefix(in.PipelineID, in.RunID, "extract")
}

// Extract streams the source into the store under RunPrefix. beat is called after
// every batch with the resume point (complete files only), and every KeepAlive
// while a query blocks.
func (e *Extractor) Extract(ctx context.Context, in contract.ExtractInput, resume Progress, beat func(Progress)) (contract.ExtractionResult, error) {
	if err := in.Source.Validate("source"); err != nil {
		return contract.ExtractionResult{}, err
	}
	src, conn, err := Resolve(e.Connections, in.Source)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	in.Source = src
	if in.OutputPrefix != "" {
		p, err := e.Store.Resolve("output_prefix", in.OutputPrefix)
		if err != nil {
			return contract.ExtractionResult{}, err
		}
		in.OutputPrefix = p
	} else if in.StagingPath != "" {
		p, err := e.Store.Resolve("staging_path", in.StagingPath)
		if err != nil {
			return contract.ExtractionResult{}, err
		}
		in.StagingPath = p
	}
	dir := RunPrefix(in)
	beat, stop := e.keepBeating(ctx, resume, beat)
	defer stop()
	if conn.Kind == connections.Spark {
		return e.extractSpark(ctx, in, conn, dir, beat)
	}
	db, err := Open(ctx, conn)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	defer db.Close()
	order := UniqueOrder(ctx, db, in.Source)
	q, ordered := Query(in.Source, order)
	cols, err := Probe(ctx, db, q)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	schema, desc := arrowSchema(cols)
	if in.Source.Kind == contract.SourcePostgres {
		if schema, desc, err = pgSchema(cols); err != nil {
			return contract.ExtractionResult{}, err
		}
	}
	plan, parallel, err := planRanges(ctx, db, in.Source, conn, order, schema)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	if parallel {
		if len(resume.Ranges) == 0 || !e.resumable(ctx, dir, resume) {
			resume = Progress{Ranges: plan.ranges}
		} else if !plan.unique {
			resume = restartUnfinished(resume)
		}
		if err := e.clearExcept(ctx, dir, resume.Files); err != nil {
			return contract.ExtractionResult{}, err
		}
		base, _ := Query(in.Source, "")
		p, err := e.readRanges(ctx, db, base, plan, schema, dir, resume, beat)
		if err != nil {
			return contract.ExtractionResult{}, err
		}
		return contract.ExtractionResult{OutputPath: e.Store.URLOf(dir), Files: p.Files, Rows: p.Rows, Schema: desc}, nil
	}
	if !ordered || len(resume.Ranges) > 0 || !e.resumable(ctx, dir, resume) {
		resume = Progress{}
	}
	if err := e.clearExcept(ctx, dir, resume.Files); err != nil {
		return contract.ExtractionResult{}, err
	}
	q = withOffset(in.Source.Kind, textTimes(in.Source.Kind, q, schema), resume.Rows)
	read := e.stream
	if in.Source.Kind == contract.SourcePostgres {
		read = e.streamPostgres
	}
	p, err := read(ctx, db, q, schema, dir, resume, beat)
	if err != nil {
		return contract.ExtractionResult{}, err
	}
	return contract.ExtractionResult{OutputPath: e.Store.URLOf(dir), Files: p.Files, Rows: p.Rows, Schema: desc}, nil
}

// keepBeating wraps beat so that the latest resume point is also sent every
// KeepAlive from a goroutine, while a query blocks before its first row.
func (e *Extractor) keepBeating(ctx context.Context, resume Progress, beat func(Progress)) (func(Progress), func()) {
	if beat == nil {
		return nil, func() {}
	}
	every := e.KeepAlive
	if every <= 0 {
		every = 5 * time.Second
	}
	var mu sync.Mutex
	last := resume
	stop := keepalive.Every(ctx, every, func() {
		mu.Lock()
		p := last
		mu.Unlock()
		beat(p)
	})
	return func(p Progress) {
		mu.Lock()
		last = p.clone()
		mu.Unlock()
		beat(p)
	}, stop
}

// within tells whether every resumed file is one of this run's own, as an earlier
// attempt of it recorded them.
func within(prefix string, files []string) bool {
	for _, f := range files {
		if !strings.HasPrefix(f, prefix) {
			return false
		}
	}
	return true
}

// resumable tells whether an earlier attempt's files are all there and this run's.
func (e *Extractor) resumable(ctx context.Context, dir string, p Progress) bool {
	ok, err := e.Store.Exists(ctx, p.Files)
	return err == nil && ok && within(dir, p.Files)
}

// clearExcept removes the files an earlier attempt wrote beyond its resume point, so
// the prefix holds exactly what this attempt will report.
func (e *Extractor) clearExcept(ctx context.Context, dir string, keep []string) error {
	files, err := e.Store.Files(ctx, dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if !slices.Contains(keep, f) {
			if err := e.Store.Remove(ctx, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// stream reads q and writes its rows through a sink; on any error the file being
// written is removed, so only complete files remain.
func (e *Extractor) stream(ctx context.Context, db *sql.DB, q string, schema *arrow.Schema, dir string, p Progress, beat func(Progress)) (Progress, error) {
	const kind = contract.SourceSQLite
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return p, fmt.Errorf("query %s source: %w", kind, err)
	}
	defer rows.Close()
	s := e.newSink(ctx, schema, dir, p, beat, plainSink)
	vals := make([]any, len(schema.Fields()))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return s.abort(fmt.Errorf("read row %d: %w", s.row(), err))
		}
		if err := s.add(vals); err != nil {
			return s.abort(err)
		}
	}
	if err := rows.Err(); err != nil {
		return s.abort(fmt.Errorf("read %s source: %w", kind, err))
	}
	return s.close()
}
