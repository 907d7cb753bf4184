package pgmigrate

import (
	"context"
	"fmt"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/keepalive"
)

// heartbeatEvery keeps a long DDL visibly alive to Temporal.
const heartbeatEvery = 5 * time.Second

// Apply runs the statements in one transaction with lock_timeout and
// statement_timeout, and marks the migration applied in the ledger in that same
// transaction. The ledger row is locked first, so a retry that overlaps a slow
// attempt waits (or times out and retries), and one that comes after sees the mark
// and applies nothing.
func (b *Backend) Apply(ctx context.Context, cfg contract.MigrationConfig) (contract.ApplyResult, error) {
	res := contract.ApplyResult{MigrationID: cfg.MigrationID}
	conn, err := b.connect(ctx, cfg.Connection, cfg.DSN)
	if err != nil {
		return res, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin apply: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := setTimeouts(ctx, tx, cfg); err != nil {
		return res, err
	}
	e, ok, err := lookup(ctx, tx, cfg.MigrationID, true)
	if err != nil {
		return res, classifyStatementErr(0, cfg.Table, err)
	}
	switch {
	case !ok:
		return res, &contract.SchemaConflictError{Table: cfg.Table, Detail: "no backup of migration " + cfg.MigrationID + " in the ledger; create_backup runs first"}
	case e.RolledBackAt != nil:
		return res, &contract.SchemaConflictError{Table: cfg.Table, Detail: "migration " + cfg.MigrationID + " was rolled back; start a new migration id"}
	case e.AppliedAt != nil:
		res.AlreadyApplied = true
		res.Statements = len(cfg.Statements)
		return res, nil
	}
	stop := b.keepAlive(ctx)
	defer stop()
	for i, s := range cfg.Statements {
		if err := execOne(ctx, tx, s); err != nil {
			return res, classifyStatementErr(i, e.Table, err)
		}
		if b.Heartbeat != nil {
			b.Heartbeat(ctx, i+1)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE `+ledgerTable+` SET applied_at = now(), statements = $2 WHERE migration_id = $1`,
		cfg.MigrationID, len(cfg.Statements)); err != nil {
		return res, fmt.Errorf("record apply in ledger: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit apply: %w", err)
	}
	res.Statements = len(cfg.Statements)
	return res, nil
}

// keepAlive heartbeats until stopped, so a statement that runs for minutes is not
// mistaken for a dead worker.
func (b *Backend) keepAlive(ctx context.Context) func() {
	if b.Heartbeat == nil {
		return func() {}
	}
	return keepalive.Every(ctx, heartbeatEvery, func() { b.Heartbeat(ctx, "running") })
}
