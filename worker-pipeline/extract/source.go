// Package extract streams rows of a SQL source (SQLite through modernc, PostgreSQL
// through pgx) into bounded Parquet files in the staging folder.
package extract

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/matih/ops/shared/contract"
)

// Open connects to a source and checks it answers. SQLite files must already exist:
// the driver would otherwise create an empty database and extract nothing.
func Open(ctx context.Context, src contract.SourceConfig) (*sql.DB, error) {
	var db *sql.DB
	var err error
	switch src.Kind {
	case contract.SourceSQLite:
		if _, statErr := os.Stat(src.DSN); statErr != nil {
			return nil, contract.Invalid("source.dsn", "an existing SQLite file, got %q (%v)", src.DSN, statErr)
		}
		db, err = sql.Open("sqlite", "file:"+src.DSN+"?mode=ro&_pragma=busy_timeout(5000)")
	case contract.SourcePostgres:
		db, err = sql.Open("pgx", src.DSN)
	default:
		return nil, contract.Invalid("source.kind", "one of sqlite, postgres, got %q", src.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s source: %w", src.Kind, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s source: %w", src.Kind, err)
	}
	return db, nil
}

var orderByRe = regexp.MustCompile(`(?i)\border\s+by\b`)

// Query is the SELECT a source config stands for, and whether its row order is stable
// (which is what lets a retry resume by offset).
func Query(src contract.SourceConfig) (q string, ordered bool) {
	if src.Query != "" {
		q = strings.TrimRight(strings.TrimSpace(src.Query), ";")
		return q, orderByRe.MatchString(q)
	}
	cols := "*"
	if len(src.Columns) > 0 {
		cols = strings.Join(quoteAll(src.Columns), ", ")
	}
	return fmt.Sprintf("SELECT %s FROM %s ORDER BY 1", cols, quote(src.Table)), true
}

// withOffset skips the first n rows of q, in the source's dialect.
func withOffset(kind, q string, n int64) string {
	if n == 0 {
		return q
	}
	limit := "LIMIT ALL"
	if kind == contract.SourceSQLite {
		limit = "LIMIT -1"
	}
	return fmt.Sprintf("SELECT * FROM (%s) AS src %s OFFSET %d", q, limit, n)
}

// Probe checks that the source accepts q and returns its columns, reading no rows.
func Probe(ctx context.Context, db *sql.DB, q string) ([]*sql.ColumnType, error) {
	rows, err := db.QueryContext(ctx, "SELECT * FROM ("+q+") AS probe LIMIT 0")
	if err != nil {
		return nil, contract.Invalid("source.query", "a query the source accepts: %v", err)
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	return cols, rows.Err()
}

func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

func quoteAll(idents []string) []string {
	out := make([]string, len(idents))
	for i, s := range idents {
		out[i] = quote(s)
	}
	return out
}
