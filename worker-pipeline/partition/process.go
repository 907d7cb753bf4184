package partition

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/keepalive"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/worker-pipeline/extract"
	"github.com/matih/ops/worker-pipeline/lakehouse"
)

// Processor runs process_partition: for each partition of a batch it extracts the
// source rows with partition_column in [start, end) into staging, then overwrites
// exactly that slice of the Iceberg table, so a retried or rerun partition never
// duplicates rows.
type Processor struct {
	Extractor *extract.Extractor
	Writer    *lakehouse.PartitionWriter
	// HeartbeatEvery is how often a long partition heartbeats (default 5 s).
	HeartbeatEvery time.Duration
}

// ProcessPartition processes a batch in order. Each finished partition is recorded in
// the heartbeat details, so a retried batch skips the partitions already done. A
// partition that fails with a retryable error fails the batch (Temporal retries it
// with the seed's policy) until the last attempt, where it is reported failed and
// the batch stops; the partitions after it go back to the workflow's queue.
func (p *Processor) ProcessPartition(ctx context.Context, in contract.PartitionBatch) (contract.BatchResult, error) {
	var out contract.BatchResult
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &out); err != nil || len(out.Results) > len(in.Partitions) {
			out = contract.BatchResult{}
		}
	}
	if len(in.Partitions) == 0 {
		return out, retry.Classify(contract.Invalid("partitions", "at least one partition"))
	}
	info := activity.GetInfo(ctx)
	last := info.Attempt >= retry.PolicyFor(contract.ActivityProcessPartition).MaximumAttempts
	var mu sync.Mutex // the keep-alive goroutine heartbeats a copy of out
	beat := func() {
		mu.Lock()
		snap := contract.BatchResult{Results: append([]contract.PartitionResult(nil), out.Results...)}
		mu.Unlock()
		activity.RecordHeartbeat(ctx, snap)
	}
	add := func(r contract.PartitionResult) {
		mu.Lock()
		out.Results = append(out.Results, r)
		mu.Unlock()
		beat()
	}
	stop := p.keepAlive(ctx, beat)
	defer stop()
	job, err := p.prepare(ctx, in)
	if err != nil && ctx.Err() == nil && (last || isPermanent(err)) {
		// No retry is left: every partition this attempt would have run gets the
		// table marker reprocess: failed reads. After a transient error they are
		// reported failed, so those an earlier attempt committed stay done; a
		// permanent one (the batch itself is wrong) fails the task as before.
		failed := make([]contract.PartitionResult, 0, len(in.Partitions)-len(out.Results))
		for _, part := range in.Partitions[len(out.Results):] {
			failed = append(failed, p.markFailed(ctx, in, part, err, info.Attempt, time.Now()))
		}
		if isPermanent(err) {
			return out, retry.Classify(err)
		}
		for _, r := range failed {
			add(r)
		}
		return out, nil
	}
	if err != nil {
		return out, retry.Classify(err)
	}
	for _, part := range in.Partitions[len(out.Results):] {
		started := time.Now()
		r, err := job.one(ctx, part, beat)
		r.Attempts = int(info.Attempt)
		if err == nil {
			add(r)
			continue
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		permanent := isPermanent(err)
		if !permanent && !last {
			return out, err // retried; the heartbeat holds the partitions done so far
		}
		add(p.markFailed(ctx, in, part, err, info.Attempt, started))
		if !permanent {
			return out, nil
		}
	}
	return out, nil
}

// markFailed records a partition that failed for good in the table (the marker
// reprocess: failed reads) and returns its result.
func (p *Processor) markFailed(ctx context.Context, in contract.PartitionBatch, part contract.Partition, err error, attempt int32, started time.Time) contract.PartitionResult {
	id := lakehouse.PartitionID(in.PartitionColumn, part.Start, part.End)
	if merr := p.Writer.MarkFailed(ctx, in.Destination.Table, id, err.Error()); merr != nil {
		activity.GetLogger(ctx).Warn("could not record the failed partition", "partition", part.Key, "error", merr)
	}
	return contract.PartitionResult{Partition: part, Status: contract.PartitionFailed,
		Error: err.Error(), Duration: contract.Duration(time.Since(started)), Attempts: int(attempt)}
}

// cleanup removes a partition's staging on its own short deadline, so a cancelled
// or failed partition leaves nothing behind either.
func (p *Processor) cleanup(prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := p.Extractor.Store.Delete(ctx, prefix); err != nil {
		slog.Warn("could not remove a partition's staging", "prefix", prefix, "error", err)
	}
}

// keepAlive heartbeats from a goroutine while one partition runs long.
func (p *Processor) keepAlive(ctx context.Context, beat func()) func() {
	every := p.HeartbeatEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	return keepalive.Every(ctx, every, beat)
}

// isPermanent tells errors no retry can fix: our typed errors and non-retryable
// application errors.
func isPermanent(err error) bool {
	var app *temporal.ApplicationError
	if errors.As(retry.Classify(err), &app) && app.NonRetryable() {
		return true
	}
	return false
}

// job is a batch prepared once: the source column's kind and the table's records.
type job struct {
	p       *Processor
	in      contract.PartitionBatch
	colType string
	rec     lakehouse.Recorded
}

func (p *Processor) prepare(ctx context.Context, in contract.PartitionBatch) (*job, error) {
	if err := in.Source.Validate("source"); err != nil {
		return nil, err
	}
	if in.Source.Table == "" {
		return nil, contract.Invalid("source.table", "a table: backfills filter it by partition_column")
	}
	src, conn, err := extract.Resolve(p.Extractor.Connections, in.Source)
	if err != nil {
		return nil, err
	}
	in.Source = src
	if _, err := lakehouse.Ident(in.Destination.Table); err != nil {
		return nil, err
	}
	colType, err := columnType(ctx, conn, in.Source, in.PartitionColumn)
	if err != nil {
		return nil, err
	}
	j := &job{p: p, in: in, colType: colType}
	if in.Reprocess == contract.ReprocessMissing || in.Reprocess == contract.ReprocessFailed {
		if j.rec, err = p.Writer.State(ctx, in.Destination.Table); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// one processes one partition.
func (j *job) one(ctx context.Context, part contract.Partition, beat func()) (contract.PartitionResult, error) {
	started := time.Now()
	id := lakehouse.PartitionID(j.in.PartitionColumn, part.Start, part.End)
	res := contract.PartitionResult{Partition: part, Status: contract.PartitionDone}
	if j.skip(id) {
		res.Status = contract.PartitionSkipped
		return res, nil
	}
	q, err := rangeQuery(j.in.Source, j.in.PartitionColumn, j.colType, part)
	if err != nil {
		return res, err
	}
	src := contract.SourceConfig{Connection: j.in.Source.Connection, Query: q}
	xin := contract.ExtractInput{PipelineID: j.in.PipelineID, RunID: j.in.BackfillID + "-" + part.Key, Source: src}
	ext, err := j.p.Extractor.Extract(ctx, xin, extract.Progress{}, func(extract.Progress) { beat() })
	if err != nil {
		return res, fmt.Errorf("extract partition %s: %w", part.Key, err)
	}
	dir := extract.RunPrefix(xin)
	defer j.p.cleanup(dir)
	ov, err := j.p.Writer.OverwritePartition(ctx, lakehouse.OverwriteInput{Table: j.in.Destination.Table,
		Column: j.in.PartitionColumn, Start: part.Start, End: part.End, Dir: dir,
		Props: map[string]string{lakehouse.PropBackfill: j.in.BackfillID}})
	if err != nil {
		return res, err
	}
	res.Rows, res.Duration = ov.Rows, contract.Duration(time.Since(started))
	if ov.Rows != ext.Rows {
		return res, fmt.Errorf("partition %s: staged %d rows but committed %d", part.Key, ext.Rows, ov.Rows)
	}
	return res, nil
}

// skip applies the reprocess mode to what the table recorded.
func (j *job) skip(id string) bool {
	switch j.in.Reprocess {
	case contract.ReprocessMissing:
		_, loaded := j.rec.Loaded[id]
		return loaded
	case contract.ReprocessFailed:
		_, failed := j.rec.Failed[id]
		return !failed
	}
	return false
}

// columnType is the source's type name of the partition column, upper case. The
// column is looked up among the table's columns: SQLite would read an unknown
// double-quoted name as a string literal and silently select nothing.
func columnType(ctx context.Context, conn connections.Connection, src contract.SourceConfig, column string) (string, error) {
	db, err := extract.Open(ctx, conn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	cols, err := extract.Probe(ctx, db, "SELECT * FROM "+quote(src.Table))
	var refused *contract.ValidationError
	if errors.As(err, &refused) {
		return "", contract.Invalid("source.table", "a table of the source, got %q (%v)", src.Table, err)
	} else if err != nil {
		return "", err // transient: retried
	}
	for _, c := range cols {
		if strings.EqualFold(c.Name(), column) {
			return strings.ToUpper(c.DatabaseTypeName()), nil
		}
	}
	return "", contract.Invalid("partition_column", "a column of %s, got %q", src.Table, column)
}

func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }
