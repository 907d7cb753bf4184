package pgmigrate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-infra/internal/ddlcheck"
)

// policy is what the migration's connection allows beyond one table's statements.
func (b *Backend) policy(name string) ddlcheck.Policy {
	c, err := b.Connections.Get("connection", name)
	if err != nil {
		return ddlcheck.Policy{} // connect has refused it already
	}
	m := c.MigrateAllows()
	return ddlcheck.Policy{ForeignKeys: m.ForeignKeys, RowSecurity: m.RowSecurity, Triggers: m.Triggers, Functions: m.Functions}
}

// checkTargets checks each statement with PostgreSQL's grammar (ddlcheck) and
// refuses one that changes, or reads, anything but the declared table, resolved by
// OID in the target database.
func checkTargets(ctx context.Context, conn *pgx.Conn, cfg contract.MigrationConfig, tbl table, p ddlcheck.Policy) error {
	for i, s := range cfg.Statements {
		field := fmt.Sprintf("statements[%d]", i)
		st, err := ddlcheck.Check(s, p)
		if err != nil {
			return contract.Invalid(field, "%s", err.Error())
		}
		target := st.Table
		if st.Index != "" {
			if target, err = indexTable(ctx, conn, st.Index); err != nil {
				return contract.Invalid(field, "%s", err.Error())
			}
		}
		if same, err := sameTable(ctx, conn, tbl, target); err != nil || !same {
			return orInvalid(err, field, "a statement on the declared table %s, but it targets %s", tbl, target)
		}
		for _, rel := range st.Relations {
			if same, err := sameTable(ctx, conn, tbl, rel); err != nil || !same {
				return orInvalid(err, field, "a statement that reads only the declared table %s, but it names %s", tbl, rel)
			}
		}
	}
	return nil
}

// orInvalid is err when the lookup failed, else the ValidationError.
func orInvalid(err error, field, format string, args ...any) error {
	if err != nil {
		return err
	}
	return contract.Invalid(field, format, args...)
}

// sameTable tells whether name resolves to tbl.
func sameTable(ctx context.Context, conn *pgx.Conn, tbl table, name string) (bool, error) {
	got, ok, err := resolveTable(ctx, conn, name)
	return ok && got.oid == tbl.oid, err
}

// indexTable is the table an index belongs to, as a quoted name.
func indexTable(ctx context.Context, conn *pgx.Conn, index string) (string, error) {
	var name *string
	err := conn.QueryRow(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE i.indexrelid = to_regclass($1)`, index).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && name == nil) {
		return "", fmt.Errorf("DROP INDEX of an index of the declared table; %s was not found", index)
	}
	if err != nil {
		return "", fmt.Errorf("look up index %s: %w", index, err)
	}
	return *name, nil
}

// abbreviate shortens a statement for an error message.
func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
