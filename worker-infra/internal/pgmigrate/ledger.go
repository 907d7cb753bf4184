package pgmigrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The ledger lives in the target database, so recording a step commits in the same
// transaction as the step itself.
const (
	ledgerSchema = "matih_migrations"
	ledgerTable  = ledgerSchema + ".ledger"
)

const ledgerDDL = `CREATE SCHEMA IF NOT EXISTS ` + ledgerSchema + `;
CREATE TABLE IF NOT EXISTS ` + ledgerTable + ` (
	migration_id    text PRIMARY KEY,
	table_name      text NOT NULL,
	backup_location text NOT NULL,
	backup_rows     bigint NOT NULL,
	backup_checksum text NOT NULL,
	backed_up_at    timestamptz NOT NULL DEFAULT now(),
	applied_at      timestamptz,
	statements      int,
	rolled_back_at  timestamptz,
	foreign_keys    text[] NOT NULL DEFAULT '{}'
)`

// entry is one ledger row.
type entry struct {
	MigrationID    string
	Table          string
	BackupLocation string
	BackupRows     int64
	BackupChecksum string
	BackedUpAt     time.Time
	AppliedAt      *time.Time
	RolledBackAt   *time.Time
	// ForeignKeys are "CONSTRAINT name definition" clauses of the table's own foreign
	// keys at backup time; a table copy does not carry them, so restore re-adds them.
	ForeignKeys []string
}

func ensureLedger(ctx context.Context, db q) error {
	// Two workers creating it at once may collide on the catalog; one retry settles it.
	for attempt := 0; ; attempt++ {
		_, err := db.Exec(ctx, ledgerDDL)
		if err == nil || attempt == 1 {
			if err != nil {
				return fmt.Errorf("create ledger %s: %w", ledgerTable, err)
			}
			return nil
		}
	}
}

// lookup reads a migration's ledger row; ok is false when there is none.
func lookup(ctx context.Context, db q, id string, forUpdate bool) (entry, bool, error) {
	var e entry
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass('`+ledgerTable+`') IS NOT NULL`).Scan(&exists); err != nil {
		return e, false, fmt.Errorf("look up ledger: %w", err)
	}
	if !exists {
		return e, false, nil
	}
	sql := `SELECT migration_id, table_name, backup_location, backup_rows, backup_checksum,
		backed_up_at, applied_at, rolled_back_at, foreign_keys FROM ` + ledgerTable + ` WHERE migration_id = $1`
	if forUpdate {
		sql += " FOR UPDATE"
	}
	err := db.QueryRow(ctx, sql, id).Scan(&e.MigrationID, &e.Table, &e.BackupLocation, &e.BackupRows,
		&e.BackupChecksum, &e.BackedUpAt, &e.AppliedAt, &e.RolledBackAt, &e.ForeignKeys)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("read ledger for %s: %w", id, err)
	}
	return e, true, nil
}
