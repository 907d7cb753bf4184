package lakehouse

import (
	"context"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// CountRows scans a table and counts its rows; tests and the demo use it to compare a
// table with its source.
func CountRows(ctx context.Context, cat catalog.Catalog, name string) (int64, error) {
	ident, err := Ident(name)
	if err != nil {
		return 0, err
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return 0, err
	}
	if tbl.CurrentSnapshot() == nil {
		return 0, nil
	}
	_, batches, err := tbl.Scan().ToArrowRecords(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for rec, err := range batches {
		if err != nil {
			return 0, err
		}
		n += rec.NumRows()
		rec.Release()
	}
	return n, nil
}

// CountRowsIn counts the rows of a table whose column lies in [start, end): tests
// compare each partition of a backfill with its source.
func CountRowsIn(ctx context.Context, cat catalog.Catalog, name, column string, start, end time.Time) (int64, error) {
	ident, err := Ident(name)
	if err != nil {
		return 0, err
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return 0, err
	}
	if tbl.CurrentSnapshot() == nil {
		return 0, nil
	}
	filter, err := rangeFilter(tbl, name, column, start, end)
	if err != nil {
		return 0, err
	}
	_, batches, err := tbl.Scan(table.WithRowFilter(filter)).ToArrowRecords(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for rec, err := range batches {
		if err != nil {
			return 0, err
		}
		n += rec.NumRows()
		rec.Release()
	}
	return n, nil
}
