package pgmigrate

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/matih/ops/shared/contract"
)

// checkRestorable refuses up front a table a restore could not give back whole, or
// that the migrating role could not restore, naming what is in the way. A restore
// recreates the table from its copy (CREATE TABLE ... LIKE ... INCLUDING ALL keeps
// columns, defaults, constraints, indexes, comments and storage; reloptions, owner
// and grants are set back), so what LIKE cannot carry must not be there.
func checkRestorable(ctx context.Context, conn *pgx.Conn, tbl table) error {
	var owner string
	var member, rls bool
	var triggers, policies, publications, rules []string
	err := conn.QueryRow(ctx, `SELECT pg_get_userbyid(c.relowner), pg_has_role(current_user, c.relowner, 'MEMBER'),
			c.relrowsecurity OR c.relforcerowsecurity,
			ARRAY(SELECT tgname::text FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal ORDER BY 1),
			ARRAY(SELECT polname::text FROM pg_policy WHERE polrelid = c.oid ORDER BY 1),
			ARRAY(SELECT p.pubname::text FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid WHERE pr.prrelid = c.oid
				UNION SELECT pubname::text FROM pg_publication WHERE puballtables ORDER BY 1),
			ARRAY(SELECT rulename::text FROM pg_rewrite WHERE ev_class = c.oid AND rulename <> '_RETURN' ORDER BY 1)
		FROM pg_class c WHERE c.oid = $1`, tbl.oid).Scan(&owner, &member, &rls, &triggers, &policies, &publications, &rules)
	if err != nil {
		return fmt.Errorf("look up what %s carries: %w", tbl, err)
	}
	if !member {
		return &contract.PermissionDeniedError{System: "postgresql", Detail: fmt.Sprintf(
			"%s belongs to %s, and the migrating role is not a member of it: a restore could not replace the table; migrate as %s or a member of it", tbl, owner, owner)}
	}
	var lost []string
	add := func(what string, names []string) {
		if len(names) > 0 {
			lost = append(lost, what+" "+strings.Join(names, ", "))
		}
	}
	add("triggers", triggers)
	add("row-level security policies", policies)
	add("rules", rules)
	add("publications", publications)
	if rls && len(policies) == 0 {
		lost = append(lost, "row-level security")
	}
	if len(lost) > 0 {
		return &contract.SchemaConflictError{Table: tbl.String(), Detail: fmt.Sprintf(
			"a restore could not keep its %s; migrate it with a tool that recreates them", strings.Join(lost, "; "))}
	}
	return nil
}

// carriedOf is the statements that give the table back what CREATE TABLE ... LIKE
// does not copy: its storage parameters (fillfactor, autovacuum settings ...) and
// its own comment.
func carriedOf(ctx context.Context, tx pgx.Tx, live table) ([]string, error) {
	var opts []string
	var comment *string
	if err := tx.QueryRow(ctx, `SELECT coalesce(reloptions, '{}'), obj_description(oid, 'pg_class') FROM pg_class WHERE oid = $1`,
		live.oid).Scan(&opts, &comment); err != nil {
		return nil, fmt.Errorf("read storage parameters of %s: %w", live.ident(), err)
	}
	var stmts []string
	if len(opts) > 0 {
		parts := make([]string, 0, len(opts))
		for _, o := range opts {
			k, v, _ := strings.Cut(o, "=")
			parts = append(parts, pgx.Identifier{k}.Sanitize()+" = "+quoteLiteral(v))
		}
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s SET (%s)", live.ident(), strings.Join(parts, ", ")))
	}
	if comment != nil {
		stmts = append(stmts, fmt.Sprintf("COMMENT ON TABLE %s IS %s", live.ident(), quoteLiteral(*comment)))
	}
	return stmts, nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
