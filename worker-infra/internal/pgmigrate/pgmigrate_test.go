package pgmigrate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

const seedSQL = `CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), counter int NOT NULL DEFAULT 0);
CREATE INDEX orders_customer_idx ON orders (customer);
INSERT INTO orders (customer, amount) SELECT 'c' || g, g * 1.5 FROM generate_series(1, 50) g;`

// conns holds the last setup's connection "target", the test's database; tests
// run one at a time in this package.
var conns *connections.Registry

func setup(t *testing.T) (string, contract.MigrationConfig) {
	t.Helper()
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, seedSQL)
	conns = testkit.Connections(t, testkit.MigrateConn("target", dsn))
	return dsn, contract.MigrationConfig{
		MigrationID: "m_add_note", Target: contract.TargetPostgres, Connection: "target", Table: "orders",
		Statements:      []string{"ALTER TABLE orders ADD COLUMN note text", "UPDATE orders SET counter = counter + 1"},
		ExpectedColumns: []contract.ColumnSpec{{Name: "note", Type: "text"}, {Name: "counter", Type: "int"}},
	}
}

// snapshot is the table's schema and content as psql sees them.
func snapshot(t *testing.T, dsn string) string {
	schema := testkit.Psql(t, dsn, `SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped`)
	idx := testkit.Psql(t, dsn, `SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'orders' AND schemaname = 'public'`)
	data := testkit.Psql(t, dsn, `SELECT count(*) || '/' || md5(string_agg(o::text, '|' ORDER BY id)) FROM orders o`)
	return schema + "\n" + idx + "\n" + data
}

func TestAddColumnKeepsDataAndAppliesOnce(t *testing.T) {
	ctx := context.Background()
	dsn, cfg := setup(t)
	b := &Backend{Connections: conns}
	require.NoError(t, b.Validate(ctx, cfg))
	ref, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, int64(50), ref.RowCount)
	assert.Equal(t, "backup_m_add_note.orders", ref.Location)
	again, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, ref, again, "a retried backup returns the recorded one")
	assert.Equal(t, "2", testkit.Psql(t, dsn, `SELECT count(*) FROM pg_indexes WHERE schemaname = 'backup_m_add_note'`), "backup has both indexes")

	res, err := b.Apply(ctx, cfg)
	require.NoError(t, err)
	assert.False(t, res.AlreadyApplied)
	res, err = b.Apply(ctx, cfg)
	require.NoError(t, err)
	assert.True(t, res.AlreadyApplied, "second apply is a no-op")
	assert.Equal(t, "50|1", testkit.Psql(t, dsn, `SELECT count(*), max(counter) FROM orders WHERE counter = 1`), "UPDATE ran exactly once")

	cfg.DataPreserving = true
	pv, err := b.PostValidate(ctx, cfg, ref)
	require.NoError(t, err)
	assert.False(t, pv.Passed, "counter changed, so data is not preserved")
	cfg.Statements = cfg.Statements[:1]
	testkit.Psql(t, dsn, `UPDATE orders SET counter = counter - 1`)
	cfg.Assertions = []string{"SELECT count(*) = 50 FROM orders", "SELECT bool_and(note IS NULL) FROM orders"}
	pv, err = b.PostValidate(ctx, cfg, ref)
	require.NoError(t, err)
	assert.True(t, pv.Passed, "%v", pv.Failures)
}

func TestRestoreBringsBackSchemaAndData(t *testing.T) {
	ctx := context.Background()
	dsn, cfg := setup(t)
	// The application's role reads the table; a restore must not take that away.
	reader := fmt.Sprintf("reader_%d", time.Now().UnixNano())
	testkit.Psql(t, dsn, "CREATE ROLE "+reader+"; GRANT SELECT, UPDATE ON orders TO "+reader+"; GRANT SELECT ON orders TO PUBLIC")
	t.Cleanup(func() { testkit.Psql(t, dsn, "DROP OWNED BY "+reader+"; DROP ROLE IF EXISTS "+reader) })
	before := snapshot(t, dsn)
	b := &Backend{Connections: conns}
	ref, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	_, err = b.Apply(ctx, cfg)
	require.NoError(t, err)
	require.NotEqual(t, before, snapshot(t, dsn))

	res, err := b.Restore(ctx, ref)
	require.NoError(t, err)
	assert.True(t, res.Restored)
	assert.Equal(t, ref.Checksum, res.Checksum)
	assert.Equal(t, before, snapshot(t, dsn))
	assert.Equal(t, "true|true|false", testkit.Psql(t, dsn, "SELECT has_table_privilege('"+reader+"', 'orders', 'SELECT') || '|' || has_table_privilege('"+reader+"', 'orders', 'UPDATE') || '|' || has_table_privilege('"+reader+"', 'orders', 'DELETE')"),
		"grants survive the restore")
	assert.Equal(t, "{=r/matih}", testkit.Psql(t, dsn, `SELECT array_agg(a) FROM unnest((SELECT relacl FROM pg_class WHERE oid = 'orders'::regclass)) a WHERE a::text LIKE '=%'`), "PUBLIC keeps its grant")
	// The serial sequence still belongs to the table and continues after the rows.
	testkit.Psql(t, dsn, `INSERT INTO orders (customer) VALUES ('new')`)
	assert.Equal(t, "51", testkit.Psql(t, dsn, `SELECT max(id) FROM orders`))
	assert.Equal(t, "public.orders_id_seq", testkit.Psql(t, dsn, `SELECT pg_get_serial_sequence('orders', 'id')`))

	again, err := b.Restore(ctx, ref)
	require.NoError(t, err, "a retried restore returns the recorded outcome")
	assert.True(t, again.Restored)
	assert.Equal(t, "51", testkit.Psql(t, dsn, `SELECT count(*) FROM orders`), "and does not restore twice")
}

func TestSecondStatementInvalidLeavesTableIdentical(t *testing.T) {
	ctx := context.Background()
	dsn, cfg := setup(t)
	cfg.Statements = []string{"ALTER TABLE orders ADD COLUMN note text", "ALTER TABLE orders ALTER COLUMN no_such_column SET NOT NULL"}
	before := snapshot(t, dsn)
	b := &Backend{Connections: conns}
	err := b.Validate(ctx, cfg)
	var sc *contract.SchemaConflictError
	require.ErrorAs(t, err, &sc)
	assert.Contains(t, err.Error(), "statements[1]")
	assert.Equal(t, before, snapshot(t, dsn), "dry run left nothing")

	ref, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	_, err = b.Apply(ctx, cfg)
	require.ErrorAs(t, err, &sc)
	assert.Contains(t, err.Error(), "statements[1]")
	assert.Equal(t, before, snapshot(t, dsn), "failed apply left nothing")
	res, err := b.Restore(ctx, ref)
	require.NoError(t, err)
	assert.False(t, res.Restored, "nothing applied, nothing replaced")
	assert.Equal(t, before, snapshot(t, dsn))
}

func TestBadInputsAreRefused(t *testing.T) {
	ctx := context.Background()
	dsn, base := setup(t)
	testkit.Psql(t, dsn, `CREATE TABLE customers (id int); CREATE SCHEMA backup_taken;
		CREATE TABLE events (at date) PARTITION BY RANGE (at)`)
	b := &Backend{Connections: conns}
	cases := []struct {
		name  string
		edit  func(c *contract.MigrationConfig)
		field string
	}{
		{"unknown table", func(c *contract.MigrationConfig) {
			c.Table = "nope"
			c.Statements = []string{"ALTER TABLE nope ADD COLUMN x int"}
		}, "invalid table"},
		{"other table", func(c *contract.MigrationConfig) {
			c.Statements = []string{"ALTER TABLE orders ADD COLUMN x int", "ALTER TABLE customers ADD COLUMN y int"}
		}, "invalid statements[1]"},
		{"other table via index", func(c *contract.MigrationConfig) { c.Statements = []string{"CREATE INDEX ix ON customers (id)"} }, "invalid statements[0]"},
		{"two statements in one", func(c *contract.MigrationConfig) {
			c.Statements = []string{"ALTER TABLE orders ADD COLUMN x int; DROP TABLE customers"}
		}, "invalid statements[0]"},
		{"rename", func(c *contract.MigrationConfig) { c.Statements = []string{"ALTER TABLE orders RENAME TO orders_old"} }, "invalid statements[0]: no RENAME TO"},
		{"partitioned", func(c *contract.MigrationConfig) {
			c.Table = "events"
			c.Statements = []string{"ALTER TABLE events ADD COLUMN x int"}
		}, "partitioned"},
		{"quoted other table", func(c *contract.MigrationConfig) { c.Statements = []string{`ALTER TABLE "customers" ADD COLUMN y int`} }, "targets \"customers\""},
		{"not a table change", func(c *contract.MigrationConfig) { c.Statements = []string{"DROP TABLE customers"} }, "invalid statements[0]"},
		{"empty migration", func(c *contract.MigrationConfig) { c.Statements = nil }, "invalid statements"},
		{"syntax error", func(c *contract.MigrationConfig) { c.Statements = []string{"ALTER TABLE orders ADD COLUMN"} }, "invalid statements[0]"},
		{"backup schema taken", func(c *contract.MigrationConfig) { c.BackupSchema = "backup_taken" }, "backup schema \"backup_taken\" already exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			err := b.Validate(ctx, cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field)
			var ve *contract.ValidationError
			var sc *contract.SchemaConflictError
			assert.True(t, errors.As(err, &ve) || errors.As(err, &sc), "typed error, got %T", err)
		})
	}
	assert.Equal(t, "", testkit.Psql(t, dsn, `SELECT string_agg(nspname, ',') FROM pg_namespace WHERE nspname LIKE 'matih%'`), "nothing written")
}

func TestAlreadyAppliedMigrationIsRefusedUpFront(t *testing.T) {
	ctx := context.Background()
	_, cfg := setup(t)
	b := &Backend{Connections: conns}
	_, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	err = b.Validate(ctx, cfg)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "already exists") || strings.Contains(err.Error(), "ledger"), err.Error())
}

// TestTheServerRunsOneStatementPerEntryEvenPastTheChecker hands Apply statements
// that hide a second command from a lexer, skipping Validate: each runs through the
// extended protocol, the server refuses it, and the other table survives.
func TestTheServerRunsOneStatementPerEntryEvenPastTheChecker(t *testing.T) {
	ctx := context.Background()
	for i, bypass := range []string{
		`UPDATE orders SET customer = E'\''; DROP TABLE customers; --'`,
		`UPDATE orders SET customer = $a1$ ' $a1$; DROP TABLE customers; --'`,
		`UPDATE orders SET counter = 1; DROP TABLE customers`,
	} {
		dsn, cfg := setup(t)
		testkit.Psql(t, dsn, `CREATE TABLE customers (id int); INSERT INTO customers VALUES (1)`)
		b := &Backend{Connections: conns}
		cfg.MigrationID = fmt.Sprintf("m_bypass_%d", i)
		cfg.Statements = []string{bypass}
		_, err := b.Backup(ctx, cfg)
		require.NoError(t, err)
		_, err = b.Apply(ctx, cfg)
		require.Error(t, err, bypass)
		assert.Contains(t, err.Error(), "statements[0]", bypass)
		assert.Equal(t, "1", testkit.Psql(t, dsn, `SELECT count(*) FROM customers`), "customers survives: %s", bypass)
	}
}

// A failing assertion is reported by its index and SQLSTATE, never by the server's
// message, which can quote a value the assertion read (the report goes to history).
func TestAFailingAssertionReportsNoValue(t *testing.T) {
	ctx := context.Background()
	dsn, cfg := setup(t)
	testkit.Psql(t, dsn, `CREATE TABLE users (pw text); INSERT INTO users VALUES ('hunter2-secret')`)
	b := &Backend{Connections: conns}
	ref, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	_, err = b.Apply(ctx, cfg)
	require.NoError(t, err)
	cfg.Assertions = []string{"SELECT (SELECT pw FROM users LIMIT 1)::int = 1", "SELECT 1", "SELECT false"}
	pv, err := b.PostValidate(ctx, cfg, ref)
	require.NoError(t, err)
	assert.False(t, pv.Passed)
	all := strings.Join(pv.Failures, "\n")
	assert.NotContains(t, all, "hunter2")
	assert.Contains(t, all, "assertions[0]: failed with SQLSTATE 22P02")
	assert.Contains(t, all, "assertions[1]: expected one boolean column")
	assert.Contains(t, all, "assertions[2]: returned false")
}
