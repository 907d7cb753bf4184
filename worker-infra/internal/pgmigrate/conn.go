// Package pgmigrate runs schema migrations on PostgreSQL tables: a dry run, a backup
// copy with checksum, the DDL in one transaction recorded once in a ledger, checks
// after the change, and a restore from the copy. PostgreSQL DDL is transactional, so
// a failed statement leaves nothing behind.
package pgmigrate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/matih/ops/shared/contract"
)

// Default timeouts when the migration does not set them.
const (
	DefaultLockTimeout      = 5 * time.Second
	DefaultStatementTimeout = 10 * time.Minute
)

// Backend holds the settings of the PostgreSQL target. The password comes from
// PGPASSWORD or a .pgpass file on the worker, never from the DSN.
type Backend struct {
	// Heartbeat is called while long statements run; nil means no heartbeats.
	Heartbeat func(ctx context.Context, details ...any)
}

// table is a resolved relation.
type table struct {
	oid     uint32
	schema  string
	name    string
	relkind string
}

func (t table) ident() string  { return pgx.Identifier{t.schema, t.name}.Sanitize() }
func (t table) String() string { return t.schema + "." + t.name }

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, contract.Invalid("dsn", "a PostgreSQL DSN (%v)", redact(err))
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000" || pgErr.Code == "42501") {
			return nil, &contract.PermissionDeniedError{System: "postgresql", Detail: pgErr.Message}
		}
		return nil, fmt.Errorf("connect to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return conn, nil
}

// redact keeps parse errors from echoing a DSN back.
func redact(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		return "cannot parse the DSN"
	}
	return msg
}

// q is what both *pgx.Conn and pgx.Tx offer.
type q interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// resolveTable finds a plain or partitioned table by name ("orders", "public.orders").
func resolveTable(ctx context.Context, db q, name string) (table, bool, error) {
	var t table
	err := db.QueryRow(ctx, `SELECT c.oid, n.nspname, c.relname, c.relkind::text FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1) AND c.relkind IN ('r','p')`, name).Scan(&t.oid, &t.schema, &t.name, &t.relkind)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code[:2] == "42" {
			return t, false, nil
		}
		return t, false, fmt.Errorf("look up table %q: %w", name, err)
	}
	return t, true, nil
}

// mustTable resolves the declared table or returns a ValidationError naming it.
func mustTable(ctx context.Context, db q, name string) (table, error) {
	t, ok, err := resolveTable(ctx, db, name)
	if err != nil {
		return t, err
	}
	if !ok {
		return t, contract.Invalid("table", "an existing table in the target database; %q was not found", name)
	}
	return t, nil
}

// BackupSchema is where the copy of a migration's table lives.
func BackupSchema(cfg contract.MigrationConfig) string {
	if cfg.BackupSchema != "" {
		return cfg.BackupSchema
	}
	return "backup_" + strings.ToLower(cfg.MigrationID)
}

// setTimeouts applies lock_timeout and statement_timeout for the current transaction.
func setTimeouts(ctx context.Context, tx pgx.Tx, cfg contract.MigrationConfig) error {
	lock, stmt := cfg.LockTimeout.D(), cfg.StatementTimeout.D()
	if lock <= 0 {
		lock = DefaultLockTimeout
	}
	if stmt <= 0 {
		stmt = DefaultStatementTimeout
	}
	for _, s := range []string{
		fmt.Sprintf("SET LOCAL lock_timeout = %d", lock.Milliseconds()),
		fmt.Sprintf("SET LOCAL statement_timeout = %d", stmt.Milliseconds()),
	} {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// classifyStatementErr turns a failed statement into a typed error naming it: syntax
// errors are bad input, other SQL-level refusals are schema conflicts, and lock or
// statement timeouts stay retryable.
func classifyStatementErr(i int, tbl string, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("statements[%d]: %w", i, err)
	}
	detail := fmt.Sprintf("statements[%d]: %s (SQLSTATE %s)", i, pgErr.Message, pgErr.Code)
	switch {
	case pgErr.Code == "42601":
		return contract.Invalid(fmt.Sprintf("statements[%d]", i), "valid SQL: %s", pgErr.Message)
	case pgErr.Code == "42501":
		return &contract.PermissionDeniedError{System: "postgresql", Detail: detail}
	case pgErr.Code == "55P03", pgErr.Code == "57014", pgErr.Code[:2] == "40", pgErr.Code[:2] == "08", pgErr.Code[:2] == "53":
		return fmt.Errorf("%s", detail)
	}
	return &contract.SchemaConflictError{Table: tbl, Detail: detail}
}
