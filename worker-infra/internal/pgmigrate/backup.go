package pgmigrate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/matih/ops/shared/contract"
)

// Backup copies the table with its indexes, defaults and constraints into the
// migration's backup schema and records row count and checksum in the ledger, all in
// one transaction. A retry after a crash finds the ledger row and returns it.
func (b *Backend) Backup(ctx context.Context, cfg contract.MigrationConfig) (contract.BackupRef, error) {
	conn, err := b.connect(ctx, cfg.Connection, cfg.DSN)
	if err != nil {
		return contract.BackupRef{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if e, ok, err := lookup(ctx, conn, cfg.MigrationID, false); err != nil {
		return contract.BackupRef{}, err
	} else if ok {
		return refFrom(cfg, e), nil
	}
	if err := ensureLedger(ctx, conn); err != nil {
		return contract.BackupRef{}, err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return contract.BackupRef{}, fmt.Errorf("begin backup: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	stop := b.keepAlive(ctx)
	defer stop()
	e, err := copyTable(ctx, tx, cfg)
	if err != nil {
		return contract.BackupRef{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return contract.BackupRef{}, fmt.Errorf("commit backup: %w", err)
	}
	return refFrom(cfg, e), nil
}

func copyTable(ctx context.Context, tx pgx.Tx, cfg contract.MigrationConfig) (entry, error) {
	tbl, err := mustTable(ctx, tx, cfg.Table)
	if err != nil {
		return entry{}, err
	}
	schema := BackupSchema(cfg)
	dst := table{schema: schema, name: tbl.name}
	for _, s := range []string{
		"CREATE SCHEMA " + pgx.Identifier{schema}.Sanitize(),
		fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING ALL)", dst.ident(), tbl.ident()),
		fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", dst.ident(), tbl.ident()),
	} {
		if _, err := tx.Exec(ctx, s); err != nil {
			return entry{}, classifyStatementErr(0, tbl.String(), fmt.Errorf("backup: %w", err))
		}
	}
	cols, err := columns(ctx, tx, tbl.oid)
	if err != nil {
		return entry{}, err
	}
	n, sum, err := checksum(ctx, tx, dst.ident(), cols)
	if err != nil {
		return entry{}, err
	}
	rows, err := tx.Query(ctx, `SELECT format('CONSTRAINT %I %s', conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE conrelid = $1 AND contype = 'f' ORDER BY conname`, tbl.oid)
	if err != nil {
		return entry{}, fmt.Errorf("read foreign keys: %w", err)
	}
	fks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return entry{}, fmt.Errorf("read foreign keys: %w", err)
	}
	e := entry{MigrationID: cfg.MigrationID, Table: tbl.String(), BackupLocation: dst.String(),
		BackupRows: n, BackupChecksum: sum, ForeignKeys: fks}
	err = tx.QueryRow(ctx, `INSERT INTO `+ledgerTable+` (migration_id, table_name, backup_location, backup_rows, backup_checksum, foreign_keys)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING backed_up_at`,
		e.MigrationID, e.Table, e.BackupLocation, e.BackupRows, e.BackupChecksum, e.ForeignKeys).Scan(&e.BackedUpAt)
	if err != nil {
		return entry{}, fmt.Errorf("record backup in ledger: %w", err)
	}
	return e, nil
}

func refFrom(cfg contract.MigrationConfig, e entry) contract.BackupRef {
	return contract.BackupRef{
		MigrationID: e.MigrationID,
		Target:      contract.TargetPostgres,
		Connection:  cfg.Connection,
		Table:       e.Table,
		Location:    e.BackupLocation,
		RowCount:    e.BackupRows,
		Checksum:    e.BackupChecksum,
		CreatedAt:   e.BackedUpAt.UTC().Truncate(time.Microsecond),
	}
}
