package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/staging"
)

// Snapshot summary properties and table properties of partition overwrites. A
// successful overwrite records its partition in the snapshot summary; a partition
// that failed for good leaves a marker in the table properties until it loads.
const (
	PropPartition    = "matih.partition"
	PropBackfill     = "matih.backfill"
	propFailedPrefix = "matih.failed."
	commitAttempts   = 8
)

// PartitionID names a partition slice of a table: `order_date [2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z)`.
func PartitionID(column string, start, end time.Time) string {
	return fmt.Sprintf("%s [%s, %s)", column, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
}

// PartitionWriter overwrites partitions of Iceberg tables. Commits to one table are
// serialised inside the process (they would only conflict and retry); commits from
// other processes are retried on conflict.
type PartitionWriter struct {
	Catalog catalog.Catalog
	Store   *staging.Store

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// OverwriteInput is one partition's replacement.
type OverwriteInput struct {
	Table      string
	Column     string
	Start, End time.Time
	Dir        string            // staging prefix of the partition's files; none means the partition is now empty
	Props      map[string]string // extra snapshot summary properties
}

// OverwriteResult is the commit an overwrite made (SnapshotID 0: nothing to do).
type OverwriteResult struct {
	Rows       int64
	SnapshotID int64
}

func (w *PartitionWriter) lock(name string) func() {
	w.mu.Lock()
	if w.locks == nil {
		w.locks = map[string]*sync.Mutex{}
	}
	l, ok := w.locks[name]
	if !ok {
		l = &sync.Mutex{}
		w.locks[name] = l
	}
	w.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// OverwritePartition replaces exactly the rows of the table whose column lies in
// [Start, End) with the staged files, in one commit that records the partition and
// clears its failure marker. Running it twice leaves the same rows.
func (w *PartitionWriter) OverwritePartition(ctx context.Context, in OverwriteInput) (OverwriteResult, error) {
	ident, err := Ident(in.Table)
	if err != nil {
		return OverwriteResult{}, err
	}
	files, err := w.Store.Files(ctx, in.Dir)
	if err != nil {
		return OverwriteResult{}, err
	}
	defer w.lock(in.Table)()
	var tbl *table.Table
	if len(files) > 0 {
		sc, err := w.Store.Schema(ctx, files[0])
		if err != nil {
			return OverwriteResult{}, err
		}
		if tbl, err = (&Loader{Catalog: w.Catalog}).tableFor(ctx, ident, sc); err != nil {
			return OverwriteResult{}, err
		}
	} else if tbl, err = w.Catalog.LoadTable(ctx, ident); errors.Is(err, catalog.ErrNoSuchTable) {
		return OverwriteResult{}, nil // nothing loaded, nothing to delete
	} else if err != nil {
		return OverwriteResult{}, err
	}
	id := PartitionID(in.Column, in.Start, in.End)
	props := iceberg.Properties{PropPartition: id}
	for k, v := range in.Props {
		props[k] = v
	}
	for attempt := 1; ; attempt++ {
		res, err := w.overwriteOnce(ctx, tbl, in, files, id, props)
		if err == nil || !errors.Is(err, table.ErrCommitFailed) || attempt == commitAttempts {
			return res, err
		}
		if tbl, err = w.Catalog.LoadTable(ctx, ident); err != nil {
			return OverwriteResult{}, err
		}
	}
}

func (w *PartitionWriter) overwriteOnce(ctx context.Context, tbl *table.Table, in OverwriteInput, files []string, id string, props iceberg.Properties) (OverwriteResult, error) {
	filter, err := rangeFilter(tbl, in.Table, in.Column, in.Start, in.End)
	if err != nil {
		return OverwriteResult{}, err
	}
	tx := tbl.NewTransaction()
	if _, marked := tbl.Properties()[propFailedPrefix+id]; marked {
		if err := tx.RemoveProperties([]string{propFailedPrefix + id}); err != nil {
			return OverwriteResult{}, err
		}
	}
	var rows int64
	if len(files) == 0 {
		props[PropRows] = "0"
		if tbl.CurrentSnapshot() != nil {
			if err := tx.Delete(ctx, filter, props); err != nil {
				return OverwriteResult{}, fmt.Errorf("delete partition %s of %s: %w", id, in.Table, err)
			}
		}
	} else {
		if rows, err = w.Store.RowCounts(ctx, files); err != nil {
			return OverwriteResult{}, err
		}
		props[PropRows] = strconv.FormatInt(rows, 10)
		rdr, err := w.Store.NewReader(ctx, files)
		if err != nil {
			return OverwriteResult{}, err
		}
		defer rdr.Release()
		if err := tx.Overwrite(ctx, rdr, props, table.WithOverwriteFilter(filter), table.WithOverwriteConcurrency(1)); err != nil {
			return OverwriteResult{}, fmt.Errorf("overwrite partition %s of %s: %w", id, in.Table, err)
		}
	}
	next, err := tx.Commit(ctx)
	if err != nil {
		return OverwriteResult{}, err
	}
	res := OverwriteResult{Rows: rows}
	if s := next.CurrentSnapshot(); s != nil {
		res.SnapshotID = s.SnapshotID
	}
	return res, nil
}

// rangeFilter is `column >= start AND column < end` with literals of the column's
// Iceberg type (date, timestamp or text).
func rangeFilter(tbl *table.Table, name, column string, start, end time.Time) (iceberg.BooleanExpression, error) {
	f, ok := tbl.Schema().FindFieldByName(column)
	if !ok {
		return nil, &contract.SchemaConflictError{Table: name, Detail: fmt.Sprintf("partition column %q is not in the table", column)}
	}
	ref := iceberg.Reference(column)
	switch f.Type.(type) {
	case iceberg.DateType:
		lo, hi := iceberg.Date(start.Unix()/86400), iceberg.Date((end.Unix()+86399)/86400)
		return iceberg.NewAnd(iceberg.GreaterThanEqual(ref, lo), iceberg.LessThan(ref, hi)), nil
	case iceberg.TimestampType, iceberg.TimestampTzType:
		lo, hi := iceberg.Timestamp(start.UnixMicro()), iceberg.Timestamp(end.UnixMicro())
		return iceberg.NewAnd(iceberg.GreaterThanEqual(ref, lo), iceberg.LessThan(ref, hi)), nil
	case iceberg.StringType:
		lo, hi := TextBounds(start, end)
		return iceberg.NewAnd(iceberg.GreaterThanEqual(ref, lo), iceberg.LessThan(ref, hi)), nil
	}
	return nil, &contract.SchemaConflictError{Table: name, Detail: fmt.Sprintf("partition column %q is %s; expected a date, timestamp or text column", column, f.Type)}
}

// TextBounds renders a range for columns that hold dates as text: dates alone when
// both ends are midnights, date and time otherwise. Text in these forms sorts in time order.
func TextBounds(start, end time.Time) (string, string) {
	layout := "2006-01-02 15:04:05"
	if isMidnight(start) && isMidnight(end) {
		layout = "2006-01-02"
	}
	return start.UTC().Format(layout), end.UTC().Format(layout)
}

func isMidnight(t time.Time) bool {
	t = t.UTC()
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// Recorded is what a table says about a backfill's partitions: the ones loaded (with
// their rows) and the ones that failed for good (with their error).
type Recorded struct {
	Loaded map[string]int64
	Failed map[string]string
}

// State reads the partition records of a table; a missing table has none.
func (w *PartitionWriter) State(ctx context.Context, name string) (Recorded, error) {
	rec := Recorded{Loaded: map[string]int64{}, Failed: map[string]string{}}
	ident, err := Ident(name)
	if err != nil {
		return rec, err
	}
	tbl, err := w.Catalog.LoadTable(ctx, ident)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		return rec, nil
	}
	if err != nil {
		return rec, err
	}
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary == nil {
			continue
		}
		if id := s.Summary.Properties[PropPartition]; id != "" {
			rec.Loaded[id], _ = strconv.ParseInt(s.Summary.Properties[PropRows], 10, 64)
		}
	}
	for k, v := range tbl.Properties() {
		if id, ok := strings.CutPrefix(k, propFailedPrefix); ok {
			rec.Failed[id] = v
		}
	}
	return rec, nil
}

// MarkFailed leaves a failure marker for a partition, so `reprocess: failed` finds
// it later. A missing table gets no marker: nothing of it was ever loaded.
func (w *PartitionWriter) MarkFailed(ctx context.Context, name, id, reason string) error {
	ident, err := Ident(name)
	if err != nil {
		return err
	}
	defer w.lock(name)()
	if len(reason) > 200 {
		reason = reason[:200]
	}
	for attempt := 1; ; attempt++ {
		tbl, err := w.Catalog.LoadTable(ctx, ident)
		if errors.Is(err, catalog.ErrNoSuchTable) {
			return nil
		}
		if err != nil {
			return err
		}
		tx := tbl.NewTransaction()
		if err := tx.SetProperties(iceberg.Properties{propFailedPrefix + id: reason}); err != nil {
			return err
		}
		_, err = tx.Commit(ctx)
		if err == nil || !errors.Is(err, table.ErrCommitFailed) || attempt == commitAttempts {
			return err
		}
	}
}
