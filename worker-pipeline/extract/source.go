// Package extract streams rows of a SQL source (SQLite through modernc, PostgreSQL
// through pgx) into bounded Parquet files in the staging folder.
package extract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/datadir"
)

// Open connects to a source and checks it answers. SQLite files must already exist:
// the driver would otherwise create an empty database and extract nothing.
func Open(ctx context.Context, src contract.SourceConfig) (*sql.DB, error) {
	var db *sql.DB
	var err error
	switch src.Kind {
	case contract.SourceSQLite:
		// A relative file is inside the worker's data directory, not its working one.
		path := datadir.Resolve(src.DSN)
		if _, statErr := os.Stat(path); statErr != nil {
			return nil, contract.Invalid("source.dsn", "an existing SQLite file (relative: inside the worker's data directory), got %q (%v)", src.DSN, statErr)
		}
		db, err = sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
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

// Query is the SELECT a source config stands for. order is a unique ordering of a
// table source (see UniqueOrder); with it, a retry can resume by offset. A query
// source is never resumed: its order, even with ORDER BY, may not be unique.
func Query(src contract.SourceConfig, order string) (q string, ordered bool) {
	if src.Query != "" {
		return strings.TrimRight(strings.TrimSpace(src.Query), ";"), false
	}
	cols := "*"
	if len(src.Columns) > 0 {
		cols = strings.Join(quoteAll(src.Columns), ", ")
	}
	q = fmt.Sprintf("SELECT %s FROM %s", cols, quote(src.Table))
	if order == "" {
		return q, false
	}
	return q + " ORDER BY " + order, true
}

// UniqueOrder finds an ORDER BY that is unique for a table source: SQLite's rowid, or
// PostgreSQL's primary key. It returns "" when there is none (or for a query).
func UniqueOrder(ctx context.Context, db *sql.DB, src contract.SourceConfig) string {
	if src.Table == "" {
		return ""
	}
	switch src.Kind {
	case contract.SourceSQLite:
		if rows, err := db.QueryContext(ctx, "SELECT rowid FROM "+quote(src.Table)+" LIMIT 0"); err == nil {
			rows.Close()
			return "rowid"
		}
	case contract.SourcePostgres:
		rows, err := db.QueryContext(ctx, `SELECT a.attname FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			WHERE i.indrelid = to_regclass($1) AND i.indisprimary
			ORDER BY array_position(i.indkey, a.attnum)`, quote(src.Table))
		if err != nil {
			return ""
		}
		defer rows.Close()
		var cols []string
		for rows.Next() {
			var c string
			if rows.Scan(&c) == nil {
				cols = append(cols, quote(c))
			}
		}
		return strings.Join(cols, ", ")
	}
	return ""
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
		return nil, ClassifySourceError(err)
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	return cols, rows.Err()
}

// ClassifySourceError tells a query the source refuses (syntax, unknown table or
// column: a ValidationError; no privilege: PermissionDeniedError) from a transient
// failure, which stays retryable.
func ClassifySourceError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "42501":
			return &contract.PermissionDeniedError{System: "postgres source", Detail: pg.Message}
		case strings.HasPrefix(pg.Code, "42"):
			return contract.Invalid("source.query", "a query the source accepts: %s (SQLSTATE %s)", pg.Message, pg.Code)
		}
		return err
	}
	msg := err.Error()
	for _, refusal := range []string{"no such table", "no such column", "syntax error", "ambiguous column", "no such function"} {
		if strings.Contains(msg, refusal) {
			return contract.Invalid("source.query", "a query the source accepts: %v", err)
		}
	}
	return err
}

func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

func quoteAll(idents []string) []string {
	out := make([]string, len(idents))
	for i, s := range idents {
		out[i] = quote(s)
	}
	return out
}
