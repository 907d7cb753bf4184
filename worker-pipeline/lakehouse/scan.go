package lakehouse

import (
	"context"

	"github.com/apache/iceberg-go/catalog"
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
