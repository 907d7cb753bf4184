package pgmigrate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jackc/pgx/v5"

	"github.com/matih/ops/shared/contract"
)

// PostValidate checks the migrated table: expected columns and types, unchanged
// row count and checksum (over the columns the backup had) for a data-preserving
// migration, and each assertion query returning true. Failed checks are reported,
// not raised, so the workflow can roll back.
func (b *Backend) PostValidate(ctx context.Context, cfg contract.MigrationConfig, backup contract.BackupRef) (contract.PostValidation, error) {
	var pv contract.PostValidation
	conn, err := b.connect(ctx, cfg.Connection, cfg.DSN)
	if err != nil {
		return pv, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	stop := b.keepAlive(ctx) // checksums and assertions scan the whole table
	defer stop()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return pv, fmt.Errorf("begin post-validation: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	tbl, ok, err := resolveTable(ctx, tx, cfg.Table)
	if err != nil {
		return pv, err
	}
	if !ok {
		pv.Failures = append(pv.Failures, fmt.Sprintf("table %s no longer exists", cfg.Table))
		return pv, nil
	}
	fails, err := checkColumns(ctx, tx, tbl, cfg.ExpectedColumns)
	if err != nil {
		return pv, err
	}
	pv.Failures = append(pv.Failures, fails...)
	if cfg.DataPreserving {
		fails, err := checkData(ctx, tx, tbl, backup)
		if err != nil {
			return pv, err
		}
		pv.Failures = append(pv.Failures, fails...)
	}
	for i, a := range cfg.Assertions {
		if f := runAssertion(ctx, tx, i, a); f != "" {
			pv.Failures = append(pv.Failures, f)
		}
	}
	pv.Passed = len(pv.Failures) == 0
	return pv, nil
}

// checkColumns compares types through PostgreSQL itself, so "int" matches "integer".
func checkColumns(ctx context.Context, tx pgx.Tx, tbl table, want []contract.ColumnSpec) ([]string, error) {
	var fails []string
	for i, c := range want {
		var got, expected *string
		err := tx.QueryRow(ctx, `SELECT
			(SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = $1 AND attname = $2 AND attnum > 0 AND NOT attisdropped),
			(SELECT format_type(to_regtype($3), NULL))`, tbl.oid, c.Name, c.Type).Scan(&got, &expected)
		if err != nil {
			fails = append(fails, fmt.Sprintf("expected_columns[%d]: type %q: %v", i, c.Type, err))
			continue
		}
		switch {
		case got == nil:
			fails = append(fails, fmt.Sprintf("expected_columns[%d]: column %q is missing", i, c.Name))
		case expected == nil:
			fails = append(fails, fmt.Sprintf("expected_columns[%d]: %q is not a known type", i, c.Type))
		case *got != *expected:
			fails = append(fails, fmt.Sprintf("expected_columns[%d]: column %q is %s, expected %s", i, c.Name, *got, *expected))
		}
	}
	return fails, nil
}

// checkData compares the table, over the backup's columns, with the backup.
func checkData(ctx context.Context, tx pgx.Tx, tbl table, backup contract.BackupRef) ([]string, error) {
	bk, ok, err := resolveTable(ctx, tx, backup.Location)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []string{fmt.Sprintf("backup %s is missing, cannot compare data", backup.Location)}, nil
	}
	cols, err := columns(ctx, tx, bk.oid)
	if err != nil {
		return nil, err
	}
	live, err := columns(ctx, tx, tbl.oid)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, c := range live {
		have[c] = true
	}
	for _, c := range cols {
		if !have[c] {
			return []string{fmt.Sprintf("data_preserving: column %q of the backup is gone", c)}, nil
		}
	}
	n, sum, err := checksum(ctx, tx, tbl.ident(), cols)
	if err != nil {
		return []string{fmt.Sprintf("data_preserving: %v", err)}, nil
	}
	var fails []string
	if n != backup.RowCount {
		fails = append(fails, fmt.Sprintf("data_preserving: %d rows, backup had %d", n, backup.RowCount))
	}
	if sum != backup.Checksum {
		fails = append(fails, fmt.Sprintf("data_preserving: checksum %s differs from the backup's %s", sum, backup.Checksum))
	}
	return fails, nil
}

// runAssertion runs one query that must return a single true; it runs in a
// savepoint so a failing query does not end the read-only transaction. A query that
// fails is reported by its SQLSTATE only: the database's message can quote a value
// (`(SELECT pw FROM users LIMIT 1)::int` fails with the password in it), and the
// report goes into history.
func runAssertion(ctx context.Context, tx pgx.Tx, i int, sql string) string {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Sprintf("assertions[%d]: %s", i, assertionError(err))
	}
	defer sp.Rollback(context.WithoutCancel(ctx))
	var ok *bool
	if err := sp.QueryRow(ctx, sql).Scan(&ok); err != nil {
		return fmt.Sprintf("assertions[%d]: %s", i, assertionError(err))
	}
	if ok == nil || !*ok {
		return fmt.Sprintf("assertions[%d]: returned false: %s", i, abbreviate(sql))
	}
	return ""
}

// assertionError says why an assertion did not run without the server's message:
// its SQLSTATE, or that the query did not give one boolean.
func assertionError(err error) string {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		return "failed with SQLSTATE " + pe.Code + " (the server's message is not reported: it can quote data)"
	case errors.Is(err, pgx.ErrNoRows):
		return "returned no row: expected one boolean"
	case strings.Contains(err.Error(), "can't scan") || strings.Contains(err.Error(), "cannot scan") || strings.Contains(err.Error(), "number of field descriptions"):
		return "expected one boolean column"
	}
	return "did not run (" + err.Error() + ")"
}
