package pgmigrate

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestStatementsAreCheckedByTheGrammar: statements a head-only checker let through
// are refused by their parse tree before the dry run, so what survives a rolled-back
// transaction (a sequence's value, other sessions) is never touched.
func TestStatementsAreCheckedByTheGrammar(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	ctx := context.Background()
	dsn, cfg := setup(t)
	testkit.Psql(t, dsn, `CREATE SEQUENCE invoices_id_seq START 500; SELECT nextval('invoices_id_seq');
		CREATE TABLE customers (id int PRIMARY KEY); CREATE TABLE secrets (pw text); INSERT INTO secrets VALUES ('hunter2');`)
	b := &Backend{Connections: conns}
	refused := map[string]string{
		"UPDATE orders SET counter = counter WHERE setval('invoices_id_seq', 1) > 0":               "no function setval",
		"UPDATE orders SET counter = counter WHERE pg_terminate_backend(pg_backend_pid()) IS NULL": "no function pg_terminate_backend",
		"ALTER TABLE orders ADD COLUMN customer_id int REFERENCES customers (id)":                  "no FOREIGN KEY",
		"ALTER TABLE orders DISABLE ROW LEVEL SECURITY":                                            "no DISABLE ROW SECURITY",
		"UPDATE orders SET customer = (SELECT pw FROM secrets LIMIT 1)":                            "reads only the declared table public.orders, but it names \"secrets\"",
		"CREATE INDEX customers_x ON customers (id)":                                               "but it targets \"customers\"",
		"DROP INDEX customers_pkey":                                                                "but it targets public.customers",
	}
	for stmt, want := range refused {
		c := cfg
		c.Statements = []string{stmt}
		err := b.Validate(ctx, c)
		var v *contract.ValidationError
		require.ErrorAs(t, err, &v, stmt)
		assert.Equal(t, "statements[0]", v.Field, stmt)
		assert.Contains(t, err.Error(), want, stmt)
	}
	assert.Equal(t, "500", testkit.Psql(t, dsn, "SELECT last_value FROM invoices_id_seq"), "the sequence is unchanged, dry run included")
	assert.Equal(t, "c1", testkit.Psql(t, dsn, "SELECT customer FROM orders WHERE id = 1"))

	c := cfg
	c.Statements = []string{"DROP INDEX orders_customer_idx", "UPDATE orders SET counter = (SELECT count(*) FROM orders o2 WHERE o2.id < orders.id)"}
	require.NoError(t, b.Validate(ctx, c), "an index of the table, and a subquery over the table itself")
}
