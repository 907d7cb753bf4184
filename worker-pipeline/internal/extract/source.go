// Package extract streams rows of a SQL source (SQLite through modernc, PostgreSQL
// through pgx), reached through the worker's named connections, into bounded
// Parquet files in the staging store.
package extract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
)

// Resolve finds the connection a source names and fills in its kind. A source
// that carries a DSN, or names a connection the worker does not define, is a
// ValidationError: workflow input reaches only what the worker's configuration lists.
func Resolve(reg *connections.Registry, src contract.SourceConfig) (contract.SourceConfig, connections.Connection, error) {
	if err := src.RequireConnection("source"); err != nil {
		return src, connections.Connection{}, err
	}
	conn, err := reg.Get("source.connection", src.Connection)
	if err != nil {
		return src, conn, err
	}
	if err := conn.RequireFor("source.connection", connections.UseExtract); err != nil {
		return src, conn, err
	}
	if src.Kind != "" && src.Kind != conn.Kind {
		return src, conn, contract.Invalid("source.kind", "%q, the kind of connection %s, or nothing; got %q", conn.Kind, conn.Name, src.Kind)
	}
	if src.Spark != nil && conn.Kind != connections.Spark {
		return src, conn, contract.Invalid("source.spark", "a spark connection; %s is %s", conn.Name, conn.Kind)
	}
	src.Kind = conn.Kind
	if conn.Kind == connections.Spark {
		if err := src.Validate("source"); err != nil {
			return src, conn, err // a spark connection asks more of the source (a job file or a query)
		}
	}
	return src, conn, nil
}

// Open connects to a source read-only and checks it answers. SQLite files open
// read-only and must already exist (the driver would otherwise create an empty
// database and extract nothing); PostgreSQL sessions are read-only
// (default_transaction_read_only) with the connection's statement timeout, so a
// query source cannot write, whatever it says.
func Open(ctx context.Context, conn connections.Connection) (*sql.DB, error) {
	var db *sql.DB
	switch conn.Kind {
	case contract.SourceSQLite:
		path := conn.SQLitePath()
		if _, statErr := os.Stat(path); statErr != nil {
			return nil, contract.Invalid("source.connection", "connection %s: an existing SQLite file at %s (%v)", conn.Name, path, statErr)
		}
		var err error
		db, err = sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)")
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", conn, err)
		}
	case contract.SourcePostgres:
		cfg, err := conn.PostgresConfig()
		if err != nil {
			return nil, err
		}
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
		// The extended protocol whatever the DSN asks (PgBouncer setups often ask for
		// simple_protocol): the server then refuses a query string holding several
		// statements, so a source query cannot close the probe's parenthesis and go
		// on. Describe-then-execute keeps no prepared statements, which a transaction
		// pooler could not follow.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(conn.Timeout().Milliseconds(), 10)
		db = stdlib.OpenDB(*cfg)
	default:
		return nil, contract.Invalid("source.kind", "one of sqlite, postgres, got %q", conn.Kind)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", conn, err)
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

// textTimes makes a SQLite query hand its date and time columns over as the text
// stored, not as time.Time: the driver parses them itself by trying several
// layouts, each miss an error value, on every row, which took a third of an
// extraction's time. The sink's timeParser remembers each column's layout instead.
// Unary + keeps the value and drops the declared type the driver goes by. A query
// whose column names repeat is left alone, as the wrapper could not name them.
func textTimes(kind, q string, schema *arrow.Schema) string {
	if kind != contract.SourceSQLite {
		return q
	}
	exprs := make([]string, len(schema.Fields()))
	seen := make(map[string]bool, len(exprs))
	timed := false
	for i, f := range schema.Fields() {
		if seen[strings.ToLower(f.Name)] {
			return q
		}
		seen[strings.ToLower(f.Name)] = true
		exprs[i] = quote(f.Name)
		if f.Type.ID() == arrow.TIMESTAMP || f.Type.ID() == arrow.DATE32 {
			exprs[i] = "+" + quote(f.Name) + " AS " + quote(f.Name)
			timed = true
		}
	}
	if !timed {
		return q
	}
	return fmt.Sprintf("SELECT %s FROM (%s) AS src", strings.Join(exprs, ", "), q)
}

// Probe checks that the source accepts q and returns its columns, reading no rows,
// in a READ ONLY transaction on PostgreSQL.
func Probe(ctx context.Context, db *sql.DB, q string) ([]*sql.ColumnType, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: isPostgres(db)})
	if err != nil {
		return nil, fmt.Errorf("begin read-only transaction: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT * FROM ("+q+") AS probe LIMIT 0")
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

// isPostgres tells a PostgreSQL source from a SQLite one, whose driver has no
// read-only transactions (its connections are read-only: mode=ro, query_only).
func isPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
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
