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

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
)

// Default timeouts when the migration does not set them.
const (
	DefaultLockTimeout      = 5 * time.Second
	DefaultStatementTimeout = 10 * time.Minute
)

// Backend holds the settings of the PostgreSQL target: the connections the worker
// defines (with their credentials), which migrations name.
type Backend struct {
	// Heartbeat is called while long statements run; nil means no heartbeats.
	Heartbeat   func(ctx context.Context, details ...any)
	Connections *connections.Registry
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

// connect opens the connection a migration names. A DSN from workflow input, or a
// name the worker does not define, is a ValidationError: a migration reaches only
// the databases the worker's configuration lists.
func (b *Backend) connect(ctx context.Context, name, dsn string) (*pgx.Conn, error) {
	if name == "" {
		if dsn != "" {
			return nil, contract.Invalid("dsn", "not accepted from workflow input: name a postgres connection the worker defines (connection)")
		}
		return nil, contract.Invalid("connection", "required: the name of a postgres connection the worker defines")
	}
	c, err := b.Connections.Get("connection", name)
	if err != nil {
		return nil, err
	}
	if err := c.RequireFor("connection", connections.UseMigrate); err != nil {
		return nil, err
	}
	if c.Kind != connections.Postgres {
		return nil, contract.Invalid("connection", "a postgres connection; %s is %s", c.Name, c.Kind)
	}
	cfg, err := c.PostgresConfig()
	if err != nil {
		return nil, err
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
// errors are bad input, other SQL-level refusals are schema conflicts, and what a
// later attempt may not meet (transientState) stays retryable.
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
	case transientState(pgErr.Code):
		return fmt.Errorf("%s", detail)
	}
	return &contract.SchemaConflictError{Table: tbl, Detail: detail}
}

// transientState tells the SQLSTATEs a later attempt may not meet: a lock not
// granted, a statement cancelled, serialization failures and deadlocks (40), lost
// connections (08), exhausted resources (53), and the server shutting down,
// crashed or still starting (57P01, 57P02, 57P03) or ending an idle session (57P05).
func transientState(code string) bool {
	switch code {
	case "55P03", "57014", "57P01", "57P02", "57P03", "57P05":
		return true
	}
	class := code[:min(len(code), 2)]
	return class == "40" || class == "08" || class == "53"
}

// execOne runs one declared statement through the extended protocol (Parse, Bind,
// Execute), where PostgreSQL refuses a string that holds several commands. pgx's
// Exec without arguments would use the simple protocol, which runs them all.
func execOne(ctx context.Context, tx pgx.Tx, sql string) error {
	_, err := tx.Conn().PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Close()
	return err
}
