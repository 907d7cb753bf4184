package partition

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/keepalive"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
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
	// Namespaces are the Iceberg namespaces a backfill may write; empty: any.
	Namespaces contract.AllowList
}

// ProcessPartition processes a batch in order. Each finished partition is recorded in
// the heartbeat details, so a retried batch skips the partitions already done. A
// partition that fails with a retryable error fails the batch (Temporal retries it
// with the seed's policy) until the last attempt, where it is reported failed and
// the batch stops; the partitions after it go back to the workflow's queue. A batch
// given as index ranges is answered as ranges.
func (p *Processor) ProcessPartition(ctx context.Context, in contract.PartitionBatch) (contract.BatchResult, error) {
	parts, err := plan.Expand(in)
	if err != nil {
		return contract.BatchResult{}, retry.Classify(err)
	}
	ranged := in.Ranged()
	in.Partitions, in.Ranges = parts, nil
	out, err := p.process(ctx, in)
	if ranged && err == nil {
		out = out.Compacted()
	}
	return out, err
}

// process runs a batch whose partitions are listed; its heartbeat details list
// them too, whatever form the batch came in.
func (p *Processor) process(ctx context.Context, in contract.PartitionBatch) (contract.BatchResult, error) {
	var out contract.BatchResult
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &out); err != nil || len(out.Results) > len(in.Partitions) {
			out = contract.BatchResult{}
		}
	}
	info := activity.GetInfo(ctx)
	last := info.Attempt >= retry.PolicyFor(contract.ActivityProcessPartition).MaximumAttempts
	var mu sync.Mutex // the keep-alive goroutine heartbeats a copy of out
	beat := func() {
		mu.Lock()
		snap := contract.BatchResult{Results: append([]contract.PartitionResult(nil), out.Results...),
			AttemptErrors: append([]contract.AttemptError(nil), out.AttemptErrors...)}
		mu.Unlock()
		activity.RecordHeartbeat(ctx, snap)
	}
	add := func(r contract.PartitionResult) {
		mu.Lock()
		if r.Status == contract.PartitionFailed {
			r.AttemptErrors = append([]contract.AttemptError(nil), out.AttemptErrors...)
		}
		out.Results = append(out.Results, r)
		mu.Unlock()
		beat()
	}
	// failAttempt keeps why this attempt failed for the next one (the heartbeat
	// flushed as the attempt fails carries it), and fails the task with err.
	failAttempt := func(err error) (contract.BatchResult, error) {
		if ctx.Err() == nil {
			mu.Lock()
			out.AttemptErrors = keepAttemptErrors(out.AttemptErrors, contract.AttemptError{Attempt: int(info.Attempt), Error: shortError(err.Error())})
			mu.Unlock()
			beat()
		}
		return out, err
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
		return failAttempt(retry.Classify(err))
	}
	todo := in.Partitions[len(out.Results):]
	if info.Attempt > 1 {
		if done, ok := p.alreadyCommitted(ctx, in, todo, info.Attempt); ok {
			for _, r := range done {
				add(r)
			}
			return out, nil
		}
	}
	results, commit, err := job.run(ctx, todo, beat, info.Attempt, last)
	for _, r := range results {
		add(r)
	}
	out.Commit = contract.Duration(commit)
	if err != nil {
		return failAttempt(err)
	}
	return out, nil
}

// alreadyCommitted recognises a retried batch whose commit landed before the attempt
// could report it: the table's snapshot recorded every partition left to do.
func (p *Processor) alreadyCommitted(ctx context.Context, in contract.PartitionBatch, todo []contract.Partition, attempt int32) ([]contract.PartitionResult, bool) {
	ids := make([]string, len(todo))
	for i, part := range todo {
		ids[i] = lakehouse.PartitionID(in.PartitionColumn, part.Start, part.End)
	}
	rows, ok, err := p.Writer.CommittedBatch(ctx, in.Destination.Table, in.BackfillID, ids)
	if err != nil || !ok {
		return nil, false
	}
	out := make([]contract.PartitionResult, len(todo))
	for i, part := range todo {
		out[i] = contract.PartitionResult{Partition: part, Status: contract.PartitionDone, Rows: rows[ids[i]], Attempts: int(attempt)}
		// The attempt that committed may have died before it removed its staging.
		p.cleanup(extract.RunPrefix(extractInput(in, part)))
	}
	return out, true
}

// extractInput is what a partition is extracted as; its RunID names the
// partition's staging, the same on every attempt.
func extractInput(in contract.PartitionBatch, part contract.Partition) contract.ExtractInput {
	return contract.ExtractInput{PipelineID: in.PipelineID, RunID: in.BackfillID + "-" + part.Key, Source: in.Source}
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
	if err := contract.CheckNamespace(p.Namespaces, "destination.table", in.Destination.Table); err != nil {
		return nil, err
	}
	if _, err := lakehouse.Ident(in.Destination.Table); err != nil {
		return nil, err
	}
	j := &job{p: p, in: in}
	if conn.Kind == connections.Spark { // a Spark job gets the bounds as arguments and reads the column itself
		if _, err := extract.SparkFile(conn, in.Source); err != nil {
			return nil, err
		}
	} else if j.colType, err = columnType(ctx, conn, in.Source, in.PartitionColumn); err != nil {
		return nil, err
	}
	if in.Reprocess == contract.ReprocessMissing || in.Reprocess == contract.ReprocessFailed {
		if j.rec, err = p.Writer.State(ctx, in.Destination.Table); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// run extracts each partition into staging, then commits them all as one Iceberg
// snapshot, and answers their results in order and the commit's own time. A partition that fails for good is
// reported failed and the others still commit; a transient failure before the last
// attempt fails the batch (nothing of it was committed, so the retry redoes it); on
// the last attempt it stops the batch there, after committing what came before.
func (j *job) run(ctx context.Context, todo []contract.Partition, beat func(), attempt int32, last bool) ([]contract.PartitionResult, time.Duration, error) {
	var results []contract.PartitionResult
	var parts []lakehouse.PartitionRange
	var commitIdx, extracted []int // positions in results of the partitions to commit, and their staged rows
	defer func() {
		for _, p := range parts {
			j.p.cleanup(p.Dir)
		}
	}()
	for _, part := range todo {
		started := time.Now()
		r, dir, rows, err := j.extract(ctx, part, beat)
		r.Attempts = int(attempt)
		if err == nil {
			if r.Status == contract.PartitionDone {
				parts = append(parts, lakehouse.PartitionRange{Start: part.Start, End: part.End, Dir: dir})
				commitIdx, extracted = append(commitIdx, len(results)), append(extracted, int(rows))
			}
			results = append(results, r)
			continue
		}
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		permanent := isPermanent(err)
		if !permanent && !last {
			return nil, 0, err
		}
		results = append(results, j.p.markFailed(ctx, j.in, part, err, attempt, started))
		if !permanent {
			break
		}
	}
	if len(parts) == 0 {
		return results, 0, nil
	}
	started := time.Now()
	ov, err := j.p.Writer.OverwritePartitions(ctx, lakehouse.BatchInput{Table: j.in.Destination.Table,
		Column: j.in.PartitionColumn, Backfill: j.in.BackfillID, Parts: parts})
	if err == nil {
		for k, i := range commitIdx {
			if ov.Rows[k] != int64(extracted[k]) {
				err = fmt.Errorf("partition %s: staged %d rows but committed %d", results[i].Partition.Key, extracted[k], ov.Rows[k])
				break
			}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		if !isPermanent(err) && !last {
			return nil, 0, err
		}
		for _, i := range commitIdx {
			results[i] = j.p.markFailed(ctx, j.in, results[i].Partition, err, attempt, started)
		}
		return results, 0, nil
	}
	// Each partition carries its share of the commit, without the time the commit
	// queued behind others: the workflow sizes batches from per-partition durations,
	// and counting the whole commit, or the queue, on each would shrink them to one.
	commit := time.Since(started) - ov.Waited
	share := commit / time.Duration(len(commitIdx))
	for k, i := range commitIdx {
		results[i].Rows = ov.Rows[k]
		results[i].Duration += contract.Duration(share)
	}
	return results, commit, nil
}

// extract stages one partition's source rows, or skips it by the reprocess mode.
func (j *job) extract(ctx context.Context, part contract.Partition, beat func()) (contract.PartitionResult, string, int64, error) {
	started := time.Now()
	id := lakehouse.PartitionID(j.in.PartitionColumn, part.Start, part.End)
	res := contract.PartitionResult{Partition: part, Status: contract.PartitionDone}
	if j.skip(id, part) {
		res.Status = contract.PartitionSkipped
		return res, "", 0, nil
	}
	xin := extractInput(j.in, part)
	if j.in.Source.Kind == connections.Spark {
		xin.Partition = &contract.PartitionBounds{Key: part.Key, Column: j.in.PartitionColumn, Start: part.Start, End: part.End}
	} else {
		q, err := rangeQuery(j.in.Source, j.in.PartitionColumn, j.colType, part)
		if err != nil {
			return res, "", 0, err
		}
		xin.Source = contract.SourceConfig{Connection: j.in.Source.Connection, Query: q}
	}
	ext, err := j.p.Extractor.Extract(ctx, xin, extract.Progress{}, func(extract.Progress) { beat() })
	dir := extract.RunPrefix(xin)
	if err != nil {
		j.p.cleanup(dir)
		return res, "", 0, fmt.Errorf("extract partition %s: %w", part.Key, err)
	}
	res.Duration = contract.Duration(time.Since(started))
	return res, dir, ext.Rows, nil
}

// skip applies the reprocess mode to what the table recorded.
func (j *job) skip(id string, part contract.Partition) bool {
	switch j.in.Reprocess {
	case contract.ReprocessMissing:
		return j.rec.IsLoaded(j.in.PartitionColumn, part.Start, part.End)
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
