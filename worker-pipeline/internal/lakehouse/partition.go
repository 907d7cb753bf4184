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
	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// Snapshot summary properties and table properties of partition overwrites. A batch
// commit records its partitions in the snapshot summary (PropPartitions; tables loaded
// before batches have one PropPartition per snapshot); a partition that failed for
// good leaves a marker in the table properties until it loads.
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
	// MinSnapshotAge: a backfill's superseded snapshots younger than this are not
	// expired (DefaultMinSnapshotAge when 0; negative expires at once, for tests).
	MinSnapshotAge time.Duration

	mu    sync.Mutex
	locks map[string]*sync.Mutex
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
	// covered holds, per partition column, the ranges loaded (they outlive the
	// snapshots that recorded them, which a long backfill expires).
	covered map[string]coverage
}

// IsLoaded tells whether the partition of column [start, end) was loaded.
func (r Recorded) IsLoaded(column string, start, end time.Time) bool {
	if _, ok := r.Loaded[PartitionID(column, start, end)]; ok {
		return true
	}
	return r.covered[column].covers(start, end)
}

// State reads the partition records of a table; a missing table has none.
func (w *PartitionWriter) State(ctx context.Context, name string) (Recorded, error) {
	rec := Recorded{Loaded: map[string]int64{}, Failed: map[string]string{}, covered: map[string]coverage{}}
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
		for id, rows := range batchRecord(s.Summary.Properties) {
			rec.Loaded[id] = rows
		}
	}
	for k, v := range tbl.Properties() {
		if id, ok := strings.CutPrefix(k, propFailedPrefix); ok {
			rec.Failed[id] = v
		}
		if col, ok := strings.CutPrefix(k, propLoadedPrefix); ok {
			rec.covered[col] = parseCoverage(v)
		}
	}
	return rec, nil
}

// CommittedBatch looks for a commit of this backfill that recorded every one of ids,
// newest first, so a batch retried after its commit landed is recognised and not
// committed again. It answers each partition's rows when found.
func (w *PartitionWriter) CommittedBatch(ctx context.Context, name, backfill string, ids []string) (map[string]int64, bool, error) {
	ident, err := Ident(name)
	if err != nil {
		return nil, false, err
	}
	tbl, err := w.Catalog.LoadTable(ctx, ident)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	snaps := tbl.Metadata().Snapshots()
	for i := len(snaps) - 1; i >= 0; i-- {
		s := snaps[i]
		if s.Summary == nil || s.Summary.Properties[PropBackfill] != backfill {
			continue
		}
		rec := batchRecord(s.Summary.Properties)
		all := len(rec) > 0
		for _, id := range ids {
			if _, ok := rec[id]; !ok {
				all = false
				break
			}
		}
		if all {
			return rec, true, nil
		}
	}
	return nil, false, nil
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
		if err == nil || !isConflict(err) || attempt == commitAttempts {
			return err
		}
	}
}
