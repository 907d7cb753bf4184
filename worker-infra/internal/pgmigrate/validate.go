package pgmigrate

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"

	"github.com/matih/ops/shared/contract"
)

var schemaNameRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Validate checks a migration without changing anything: the table exists, every
// statement is one a migration may run (ddlcheck) and touches only that table, the backup schema is free, the migration was never applied,
// and the DDL runs (in a transaction that is rolled back).
func (b *Backend) Validate(ctx context.Context, cfg contract.MigrationConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if !schemaNameRe.MatchString(BackupSchema(cfg)) {
		return contract.Invalid("backup_schema", "a lower-case identifier of at most 63 characters, got %q", BackupSchema(cfg))
	}
	conn, err := b.connect(ctx, cfg.Connection, cfg.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	stop := b.keepAlive(ctx) // the dry run runs every statement, however long
	defer stop()

	tbl, err := mustTable(ctx, conn, cfg.Table)
	if err != nil {
		return err
	}
	if tbl.relkind != "r" {
		return contract.Invalid("table", "a plain table; %s is partitioned, and a restore would lose its partitions", tbl)
	}
	if err := checkTargets(ctx, conn, cfg, tbl, b.policy(cfg.Connection)); err != nil {
		return err
	}
	if err := checkRestorable(ctx, conn, tbl); err != nil {
		return err
	}
	if err := checkFree(ctx, conn, cfg, tbl); err != nil {
		return err
	}
	return dryRun(ctx, conn, cfg, tbl)
}

// checkFree refuses a migration whose backup schema exists, that the ledger already
// knows, or whose table others depend on (restore replaces the table).
func checkFree(ctx context.Context, conn *pgx.Conn, cfg contract.MigrationConfig, tbl table) error {
	schema := BackupSchema(cfg)
	var taken bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&taken); err != nil {
		return fmt.Errorf("look up backup schema: %w", err)
	}
	if taken {
		return &contract.SchemaConflictError{Table: tbl.String(),
			Detail: fmt.Sprintf("backup schema %q already exists; choose another migration_id or backup_schema", schema)}
	}
	if e, ok, err := lookup(ctx, conn, cfg.MigrationID, false); err != nil {
		return err
	} else if ok {
		return &contract.SchemaConflictError{Table: tbl.String(),
			Detail: fmt.Sprintf("migration %s is already in the ledger (backed up %s)", e.MigrationID, e.BackedUpAt.UTC().Format("2006-01-02T15:04:05Z"))}
	}
	var deps []string
	rows, err := conn.Query(ctx, `SELECT DISTINCT d.classid::regclass::text || ' ' || coalesce(r.ev_class::regclass::text, c.conname)
		FROM pg_depend d
		LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
		LEFT JOIN pg_constraint c ON d.classid = 'pg_constraint'::regclass AND c.oid = d.objid
		WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $1 AND d.deptype = 'n'
		  AND ((r.oid IS NOT NULL AND r.ev_class <> $1) OR (c.oid IS NOT NULL AND c.contype = 'f' AND c.conrelid <> $1))
		ORDER BY 1`, tbl.oid)
	if err != nil {
		return fmt.Errorf("look up dependents: %w", err)
	}
	if deps, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return fmt.Errorf("look up dependents: %w", err)
	}
	if len(deps) > 0 {
		return &contract.SchemaConflictError{Table: tbl.String(),
			Detail: fmt.Sprintf("views or foreign keys depend on it (%v); a restore could not replace the table", deps)}
	}
	return nil
}

// dryRun runs every statement in a transaction that is always rolled back.
func dryRun(ctx context.Context, conn *pgx.Conn, cfg contract.MigrationConfig, tbl table) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin dry run: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := setTimeouts(ctx, tx, cfg); err != nil {
		return err
	}
	for i, s := range cfg.Statements {
		if err := execOne(ctx, tx, s); err != nil {
			return classifyStatementErr(i, tbl.String(), err)
		}
	}
	return nil
}
