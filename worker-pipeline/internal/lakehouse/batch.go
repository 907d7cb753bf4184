package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// One commit per batch. A backfill of 100,000 partitions committed one partition at a
// time writes 100,000 metadata files, each listing every snapshot so far: the bytes
// written grow with the square of the partition count. A batch instead commits as one
// snapshot whose overwrite filter covers exactly its partitions; the table keeps a
// compact record of what was loaded (coverage), and the backfill's own superseded
// snapshots are expired as it goes, so metadata stays small.

const (
	// PropPartitions, in the summary of batch commits before PropPartitionSpans,
	// maps each partition it replaced to its rows (JSON); it is still read.
	PropPartitions = "matih.partitions"
	// propLoadedPrefix + column is a table property: the time ranges loaded by
	// partition overwrites on that column, merged (see coverage.go). It outlives the
	// snapshots that recorded them.
	propLoadedPrefix = "matih.loaded."
	// keepOwnSnapshots is how many of a backfill's superseded snapshots stay after a
	// commit; older ones are expired, unless tagged or younger than MinSnapshotAge.
	keepOwnSnapshots = 4
	// DefaultMinSnapshotAge spares snapshots a reader may still be planning on.
	DefaultMinSnapshotAge = 10 * time.Second
	// metadataVersionsMax bounds the metadata log: previous metadata files beyond it
	// are deleted after each commit.
	metadataVersionsMax = "16"
)

// PartitionRange is one partition of a batch commit: its bounds and its staged files.
type PartitionRange struct {
	Start, End time.Time
	Dir        string // staging prefix; none or empty means the partition is now empty
}

// BatchInput replaces several partitions of one table in one commit.
type BatchInput struct {
	Table, Column string
	Backfill      string
	Parts         []PartitionRange
}

// BatchResult is what a batch commit made: the rows of each partition, in order.
type BatchResult struct {
	Rows       []int64
	SnapshotID int64
	// Waited is how long the commit queued behind other commits to the same table
	// in this process: time the batch spent, but not on its own work.
	Waited time.Duration
}

// staged is a batch's files, read once.
type staged struct {
	files []string
	rows  []int64
	sc    *arrow.Schema
}

func (w *PartitionWriter) stage(ctx context.Context, parts []PartitionRange) (staged, error) {
	var s staged
	for _, p := range parts {
		var n int64
		if p.Dir != "" {
			files, err := w.Store.Files(ctx, p.Dir)
			if err != nil {
				return s, err
			}
			if len(files) > 0 {
				if n, err = w.Store.RowCounts(ctx, files); err != nil {
					return s, err
				}
				if s.sc == nil {
					sc, err := w.Store.Schema(ctx, files[0])
					if err != nil {
						return s, err
					}
					s.sc = sc
				}
			}
			s.files = append(s.files, files...)
		}
		s.rows = append(s.rows, n)
	}
	return s, nil
}

// OverwritePartitions replaces exactly the rows of the table whose column lies in any
// of the parts' ranges with their staged files, in one commit that records the
// partitions, extends the table's coverage and clears their failure markers. Running
// it twice leaves the same rows.
func (w *PartitionWriter) OverwritePartitions(ctx context.Context, in BatchInput) (BatchResult, error) {
	ident, err := Ident(in.Table)
	if err != nil {
		return BatchResult{}, err
	}
	if len(in.Parts) == 0 {
		return BatchResult{}, errors.New("lakehouse: a batch needs at least one partition")
	}
	st, err := w.stage(ctx, in.Parts)
	if err != nil {
		return BatchResult{}, err
	}
	queued := time.Now()
	defer w.lock(in.Table)()
	waited := time.Since(queued)
	var tbl *table.Table
	if st.sc != nil {
		tbl, err = (&Loader{Catalog: w.Catalog}).tableFor(ctx, ident, st.sc)
	} else if tbl, err = w.Catalog.LoadTable(ctx, ident); errors.Is(err, catalog.ErrNoSuchTable) {
		return BatchResult{Rows: st.rows}, nil // nothing loaded, nothing to delete
	}
	if err != nil {
		return BatchResult{}, err
	}
	for attempt := 1; ; attempt++ {
		res, err := w.batchOnce(ctx, tbl, in, st)
		if err == nil {
			w.expireOwn(ctx, ident, in.Backfill)
			res.Waited = waited
			return res, nil
		}
		if !isConflict(err) || attempt == commitAttempts {
			return BatchResult{}, err
		}
		if tbl, err = w.Catalog.LoadTable(ctx, ident); err != nil {
			return BatchResult{}, err
		}
	}
}

func (w *PartitionWriter) batchOnce(ctx context.Context, tbl *table.Table, in BatchInput, st staged) (BatchResult, error) {
	var filter iceberg.BooleanExpression
	var markers []string
	var total int64
	for _, span := range spans(in.Parts) {
		f, err := rangeFilter(tbl, in.Table, in.Column, span.Start, span.End)
		if err != nil {
			return BatchResult{}, err
		}
		if filter == nil {
			filter = f
		} else {
			filter = iceberg.NewOr(filter, f)
		}
	}
	for i, p := range in.Parts {
		id := PartitionID(in.Column, p.Start, p.End)
		total += st.rows[i]
		if _, marked := tbl.Properties()[propFailedPrefix+id]; marked {
			markers = append(markers, propFailedPrefix+id)
		}
	}
	record, err := encodeSpans(in.Column, in.Parts, st.rows)
	if err != nil {
		return BatchResult{}, err
	}
	props := iceberg.Properties{PropBackfill: in.Backfill, PropPartitionSpans: record, PropRows: strconv.FormatInt(total, 10)}
	tx := tbl.NewTransaction()
	if len(markers) > 0 {
		if err := tx.RemoveProperties(markers); err != nil {
			return BatchResult{}, err
		}
	}
	if err := tx.SetProperties(w.tableProps(tbl, in)); err != nil {
		return BatchResult{}, err
	}
	if len(st.files) == 0 {
		if tbl.CurrentSnapshot() != nil {
			if err := tx.Delete(ctx, filter, props); err != nil {
				return BatchResult{}, fmt.Errorf("delete %d partitions of %s: %w", len(in.Parts), in.Table, err)
			}
		}
	} else {
		rdr, err := w.Store.NewReader(ctx, st.files)
		if err != nil {
			return BatchResult{}, err
		}
		defer rdr.Release()
		if err := tx.Overwrite(ctx, rdr, props, table.WithOverwriteFilter(filter), table.WithOverwriteConcurrency(1)); err != nil {
			return BatchResult{}, fmt.Errorf("overwrite %d partitions of %s: %w", len(in.Parts), in.Table, err)
		}
	}
	next, err := tx.Commit(ctx)
	if err != nil {
		return BatchResult{}, err
	}
	res := BatchResult{Rows: st.rows}
	if s := next.CurrentSnapshot(); s != nil {
		res.SnapshotID = s.SnapshotID
	}
	return res, nil
}

// tableProps is the coverage with the batch added, and the metadata bounds.
func (w *PartitionWriter) tableProps(tbl *table.Table, in BatchInput) iceberg.Properties {
	key := propLoadedPrefix + in.Column
	cov := parseCoverage(tbl.Properties()[key])
	for _, p := range in.Parts {
		cov = cov.add(p.Start, p.End)
	}
	props := iceberg.Properties{key: cov.String()}
	if _, set := tbl.Properties()[table.MetadataPreviousVersionsMaxKey]; !set {
		props[table.MetadataPreviousVersionsMaxKey] = metadataVersionsMax
		props[table.MetadataDeleteAfterCommitEnabledKey] = "true"
	}
	return props
}

// expireOwn removes the backfill's superseded snapshots beyond the last few. Only the
// backfill's own are touched, never the current one, a tagged one (a migration
// backup) or one younger than MinSnapshotAge (a reader may still plan on it). Data
// files are left to table maintenance. A failure here is not the batch's: the next
// commit tries again.
func (w *PartitionWriter) expireOwn(ctx context.Context, ident table.Identifier, backfill string) {
	if backfill == "" {
		return
	}
	tbl, err := w.Catalog.LoadTable(ctx, ident)
	if err != nil || tbl.CurrentSnapshot() == nil {
		return
	}
	meta := tbl.Metadata()
	pinned := map[int64]bool{tbl.CurrentSnapshot().SnapshotID: true}
	for _, ref := range meta.Refs() {
		pinned[ref.SnapshotID] = true
	}
	var own []int64
	age := w.MinSnapshotAge
	if age == 0 {
		age = DefaultMinSnapshotAge
	}
	cutoff := time.Now().Add(-age).UnixMilli()
	for _, s := range meta.Snapshots() {
		if s.Summary != nil && s.Summary.Properties[PropBackfill] == backfill && !pinned[s.SnapshotID] && s.TimestampMs < cutoff {
			own = append(own, s.SnapshotID)
		}
	}
	if len(own) <= keepOwnSnapshots {
		return
	}
	drop := own[:len(own)-keepOwnSnapshots] // snapshots are listed oldest first
	cur := tbl.CurrentSnapshot().SnapshotID
	_, _, _ = w.Catalog.CommitTable(ctx, ident,
		[]table.Requirement{table.AssertTableUUID(meta.TableUUID()), table.AssertRefSnapshotID(table.MainBranch, &cur)},
		[]table.Update{table.NewRemoveSnapshotsUpdate(drop, false)})
}

// spans joins partitions that meet end to start into one range, so a batch of
// consecutive partitions filters its overwrite with one range instead of an OR of
// hundreds, which every data file of the table would be checked against.
func spans(parts []PartitionRange) []PartitionRange {
	sorted := append([]PartitionRange(nil), parts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start.Before(sorted[j].Start) })
	var out []PartitionRange
	for _, p := range sorted {
		if n := len(out); n > 0 && !p.Start.After(out[n-1].End) {
			if p.End.After(out[n-1].End) {
				out[n-1].End = p.End
			}
			continue
		}
		out = append(out, PartitionRange{Start: p.Start, End: p.End})
	}
	return out
}
