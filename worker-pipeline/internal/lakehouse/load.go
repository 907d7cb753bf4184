package lakehouse

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// Snapshot summary properties a load records, so a retry can find its own commit.
const (
	PropIdempotencyKey = "matih.idempotency-key"
	PropRows           = "matih.rows"
)

// Loader appends staged files from the staging store to Iceberg tables.
type Loader struct {
	Catalog catalog.Catalog
	Store   *staging.Store
}

// Load appends the staged files of in.InputPath to the destination in one commit. A
// load whose idempotency key is already in a snapshot summary returns that snapshot
// and commits nothing.
func (l *Loader) Load(ctx context.Context, in contract.LoadInput) (contract.LoadResult, error) {
	res := contract.LoadResult{Table: in.Destination.Table, IdempotencyKey: in.IdempotencyKey}
	ident, err := Ident(in.Destination.Table)
	if err != nil {
		return res, err
	}
	dir, err := l.Store.Resolve("input_path", in.InputPath)
	if err != nil {
		return res, err
	}
	files, err := l.Store.Files(ctx, dir)
	if err != nil {
		return res, err
	}
	if len(files) == 0 {
		return res, contract.Invalid("input_path", "a location with staged Parquet files, %s has none", l.Store.URLOf(dir))
	}
	sc, err := l.Store.Schema(ctx, files[0])
	if err != nil {
		return res, err
	}
	rows, err := l.Store.RowCounts(ctx, files)
	if err != nil {
		return res, err
	}
	// A commit that lost a race with another writer of the table (another run's
	// load, a backfill, maintenance) is taken again on the table as it now is,
	// after looking for this key once more: the other writer may have been an
	// earlier attempt of this very load.
	for attempt := 1; ; attempt++ {
		tbl, err := l.tableFor(ctx, ident, sc)
		if err != nil {
			return res, err
		}
		if snap := FindKey(tbl, in.IdempotencyKey); snap != nil {
			res.SnapshotID, res.AlreadyLoaded = snap.SnapshotID, true
			res.Rows, _ = strconv.ParseInt(snap.Summary.Properties[PropRows], 10, 64)
			return res, nil
		}
		id, err := l.append(ctx, tbl, files, in.IdempotencyKey, rows)
		if err == nil {
			res.Rows, res.SnapshotID = rows, id
			return res, nil
		}
		if !isConflict(err) || attempt == commitAttempts {
			return res, fmt.Errorf("append to %s: %w", in.Destination.Table, err)
		}
	}
}

// append commits files to tbl as one snapshot that records key and rows.
func (l *Loader) append(ctx context.Context, tbl *table.Table, files []string, key string, rows int64) (int64, error) {
	rdr, err := l.Store.NewReader(ctx, files)
	if err != nil {
		return 0, err
	}
	defer rdr.Release()
	props := iceberg.Properties{PropIdempotencyKey: key, PropRows: strconv.FormatInt(rows, 10)}
	next, err := tbl.Append(ctx, rdr, props)
	if err != nil {
		return 0, err
	}
	return next.CurrentSnapshot().SnapshotID, nil
}

// FindKey returns the snapshot that recorded key, or nil.
func FindKey(tbl *table.Table, key string) *table.Snapshot {
	if key == "" {
		return nil
	}
	snaps := tbl.Metadata().Snapshots()
	for i := len(snaps) - 1; i >= 0; i-- {
		s := snaps[i]
		if s.Summary != nil && s.Summary.Properties[PropIdempotencyKey] == key {
			return &s
		}
	}
	return nil
}

// tableFor loads the table, or creates it from the staged schema, and checks the
// staged columns fit it.
func (l *Loader) tableFor(ctx context.Context, ident table.Identifier, sc *arrow.Schema) (*table.Table, error) {
	name := fmt.Sprint(ident)
	staged, err := table.ArrowSchemaToIcebergWithFreshIDs(sc, true)
	if err != nil {
		return nil, &contract.SchemaConflictError{Table: name, Detail: err.Error()}
	}
	tbl, err := l.Catalog.LoadTable(ctx, ident)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		if err := EnsureNamespace(ctx, l.Catalog, ident); err != nil {
			return nil, err
		}
		tbl, err = l.Catalog.CreateTable(ctx, ident, staged)
		if errors.Is(err, catalog.ErrTableAlreadyExists) {
			tbl, err = l.Catalog.LoadTable(ctx, ident)
		}
	}
	if err != nil {
		return nil, err
	}
	return tbl, compatible(name, tbl.Schema(), staged)
}

// compatible checks every staged column exists in the table with the same type, and
// every table column the stage lacks is optional.
func compatible(name string, have, staged *iceberg.Schema) error {
	for _, f := range staged.Fields() {
		tf, ok := have.FindFieldByName(f.Name)
		if !ok {
			return &contract.SchemaConflictError{Table: name, Detail: fmt.Sprintf("column %q is not in the table", f.Name)}
		}
		if !tf.Type.Equals(f.Type) {
			return &contract.SchemaConflictError{Table: name, Detail: fmt.Sprintf("column %q is %s in the table, %s in the staged data", f.Name, tf.Type, f.Type)}
		}
	}
	for _, tf := range have.Fields() {
		if _, ok := staged.FindFieldByName(tf.Name); !ok && tf.Required {
			return &contract.SchemaConflictError{Table: name, Detail: fmt.Sprintf("required column %q is missing from the staged data", tf.Name)}
		}
	}
	return nil
}
