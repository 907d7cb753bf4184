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
	return countScan(ctx, cat, name, func(*table.Table) ([]table.ScanOption, error) { return nil, nil })
}

// CountRowsIn counts the rows of a table whose column lies in [start, end): tests
// compare each partition of a backfill with its source.
func CountRowsIn(ctx context.Context, cat catalog.Catalog, name, column string, start, end time.Time) (int64, error) {
	return countScan(ctx, cat, name, func(tbl *table.Table) ([]table.ScanOption, error) {
		filter, err := rangeFilter(tbl, name, column, start, end)
		if err != nil {
			return nil, err
		}
		return []table.ScanOption{table.WithRowFilter(filter)}, nil
	})
}

// countScan loads a table and counts the rows a scan with the given options returns;
// a table without a snapshot has none.
func countScan(ctx context.Context, cat catalog.Catalog, name string, options func(*table.Table) ([]table.ScanOption, error)) (int64, error) {
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
	opts, err := options(tbl)
	if err != nil {
		return 0, err
	}
	_, batches, err := tbl.Scan(opts...).ToArrowRecords(ctx)
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
