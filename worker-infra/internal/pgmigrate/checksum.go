package pgmigrate

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// columns lists a table's live columns in order.
func columns(ctx context.Context, db q, oid uint32) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT attname FROM pg_attribute
		WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, oid)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// checksum is the row count and an md5 over the md5 of each row's text form, sorted,
// so it depends on content and not on physical order.
func checksum(ctx context.Context, db q, ident string, cols []string) (int64, string, error) {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	sql := fmt.Sprintf(`SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), ''))
		FROM (SELECT md5(ROW(%s)::text) AS h FROM %s) s`, strings.Join(quoted, ", "), ident)
	var n int64
	var sum string
	if err := db.QueryRow(ctx, sql).Scan(&n, &sum); err != nil {
		return 0, "", fmt.Errorf("checksum %s: %w", ident, err)
	}
	return n, sum, nil
}
