package pgmigrate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/matih/ops/shared/contract"
)

// Restore puts the table back as it was at backup time, in one transaction: the
// migrated table is dropped and recreated from the backup copy (indexes, defaults,
// constraints, foreign keys, sequence positions, owner and grants), and the checksum is verified before
// commit. When the ledger shows nothing was applied, the table is left alone (writes
// since the backup stay) and its current count and checksum are reported.
func (b *Backend) Restore(ctx context.Context, ref contract.BackupRef) (contract.RestoreResult, error) {
	res := contract.RestoreResult{MigrationID: ref.MigrationID}
	conn, err := b.connect(ctx, ref.Connection, ref.DSN)
	if err != nil {
		return res, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin restore: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	stop := b.keepAlive(ctx)
	defer stop()
	e, ok, err := lookup(ctx, tx, ref.MigrationID, true)
	if err != nil {
		return res, err
	}
	if !ok {
		return res, &contract.SchemaConflictError{Table: ref.Table, Detail: "no backup of migration " + ref.MigrationID + " in the ledger"}
	}
	if e.RolledBackAt != nil {
		// A retry after a committed restore: the table may have taken writes since.
		res.Restored, res.RowCount, res.Checksum = true, e.BackupRows, e.BackupChecksum
		return res, nil
	}
	if e.AppliedAt != nil {
		if err := replaceTable(ctx, tx, e); err != nil {
			return res, err
		}
		res.Restored = true
		if _, err := tx.Exec(ctx, `UPDATE `+ledgerTable+` SET rolled_back_at = now() WHERE migration_id = $1`, e.MigrationID); err != nil {
			return res, fmt.Errorf("record restore in ledger: %w", err)
		}
	}
	if res.RowCount, res.Checksum, err = verify(ctx, tx, e); err != nil && res.Restored {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit restore: %w", err)
	}
	return res, nil
}

// replaceTable drops the live table and recreates it from the backup copy.
func replaceTable(ctx context.Context, tx pgx.Tx, e entry) error {
	bk, err := mustTable(ctx, tx, e.BackupLocation)
	if err != nil {
		return fmt.Errorf("backup %s: %w", e.BackupLocation, err)
	}
	live, err := mustTable(ctx, tx, e.Table)
	if err != nil {
		return fmt.Errorf("table %s: %w", e.Table, err)
	}
	// Sequences owned by the live table's serial columns would go with it; detach
	// them first (the backup's defaults still use them) and re-attach after.
	rows, err := tx.Query(ctx, `SELECT s.oid::regclass::text, a.attname FROM pg_depend d
		JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
		JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
		WHERE d.refobjid = $1 AND d.deptype = 'a' ORDER BY 1`, live.oid)
	if err != nil {
		return fmt.Errorf("read owned sequences: %w", err)
	}
	type owned struct{ seq, col string }
	seqs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (owned, error) {
		var o owned
		return o, r.Scan(&o.seq, &o.col)
	})
	if err != nil {
		return fmt.Errorf("read owned sequences: %w", err)
	}
	access, err := accessOf(ctx, tx, live)
	if err != nil {
		return err
	}
	storage, err := carriedOf(ctx, tx, live)
	if err != nil {
		return err
	}
	var stmts []string
	for _, s := range seqs {
		stmts = append(stmts, fmt.Sprintf("ALTER SEQUENCE %s OWNED BY NONE", s.seq))
	}
	stmts = append(stmts,
		"DROP TABLE "+live.ident(),
		fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING ALL)", live.ident(), bk.ident()),
		fmt.Sprintf("INSERT INTO %s OVERRIDING SYSTEM VALUE SELECT * FROM %s", live.ident(), bk.ident()))
	for _, fk := range e.ForeignKeys {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD %s", live.ident(), fk))
	}
	for _, s := range seqs {
		col := pgx.Identifier{s.col}.Sanitize()
		stmts = append(stmts, fmt.Sprintf("ALTER SEQUENCE %s OWNED BY %s.%s", s.seq, live.ident(), col))
	}
	stmts = append(stmts, storage...)
	stmts = append(stmts, access...)
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return classifyStatementErr(0, e.Table, fmt.Errorf("restore (%s): %w", abbreviate(s), err))
		}
	}
	return resetIdentities(ctx, tx, live)
}

// accessOf reads the live table's owner and grants as the statements that give them
// back: the recreated table would otherwise belong to the migrating role, with no
// grants, and the application would lose access.
func accessOf(ctx context.Context, tx pgx.Tx, live table) ([]string, error) {
	var owner string
	if err := tx.QueryRow(ctx, `SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = $1`, live.oid).Scan(&owner); err != nil {
		return nil, fmt.Errorf("read owner of %s: %w", live.ident(), err)
	}
	stmts := []string{fmt.Sprintf("ALTER TABLE %s OWNER TO %s", live.ident(), pgx.Identifier{owner}.Sanitize())}
	rows, err := tx.Query(ctx, `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
			a.privilege_type, a.is_grantable
		FROM pg_class c, aclexplode(c.relacl) a
		WHERE c.oid = $1 AND a.grantee <> c.relowner ORDER BY 1, 2`, live.oid)
	if err != nil {
		return nil, fmt.Errorf("read grants on %s: %w", live.ident(), err)
	}
	type grant struct {
		to, priv  string
		grantable bool
	}
	grants, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (grant, error) {
		var g grant
		return g, r.Scan(&g.to, &g.priv, &g.grantable)
	})
	if err != nil {
		return nil, fmt.Errorf("read grants on %s: %w", live.ident(), err)
	}
	for _, g := range grants {
		to := g.to
		if to != "PUBLIC" {
			to = pgx.Identifier{to}.Sanitize()
		}
		stmt := fmt.Sprintf("GRANT %s ON %s TO %s", g.priv, live.ident(), to)
		if g.grantable {
			stmt += " WITH GRANT OPTION"
		}
		stmts = append(stmts, stmt)
	}
	return stmts, nil
}

// resetIdentities moves identity sequences the copy created past the restored rows.
func resetIdentities(ctx context.Context, tx pgx.Tx, live table) error {
	rows, err := tx.Query(ctx, `SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1)
		AND attidentity <> '' AND NOT attisdropped ORDER BY attnum`, live.ident())
	if err != nil {
		return fmt.Errorf("read identity columns: %w", err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read identity columns: %w", err)
	}
	for _, c := range cols {
		col := pgx.Identifier{c}.Sanitize()
		sql := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(%s), 0) + 1, false) FROM %s`, col, live.ident())
		if _, err := tx.Exec(ctx, sql, live.ident(), c); err != nil {
			return fmt.Errorf("reset identity of %s: %w", c, err)
		}
	}
	return nil
}

// verify checks the live table against the checksum recorded at backup time.
func verify(ctx context.Context, tx pgx.Tx, e entry) (int64, string, error) {
	live, err := mustTable(ctx, tx, e.Table)
	if err != nil {
		return 0, "", err
	}
	cols, err := columns(ctx, tx, live.oid)
	if err != nil {
		return 0, "", err
	}
	n, sum, err := checksum(ctx, tx, live.ident(), cols)
	if err != nil {
		return n, sum, err
	}
	if n != e.BackupRows || sum != e.BackupChecksum {
		return n, sum, fmt.Errorf("after restore %s has %d rows, checksum %s; backup had %d rows, checksum %s",
			e.Table, n, sum, e.BackupRows, e.BackupChecksum)
	}
	return n, sum, nil
}
