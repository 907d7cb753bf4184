package ddlcheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWhatAMigrationMayRun(t *testing.T) {
	allowed := map[string]Statement{
		"ALTER TABLE orders ADD COLUMN note text DEFAULT ''":                                                     {Kind: "ALTER TABLE", Table: `"orders"`},
		"alter table sales.orders alter column amount type numeric(12,2) using round(amount, 2)":                 {Kind: "ALTER TABLE", Table: `"sales"."orders"`},
		`ALTER TABLE "Orders" ADD CONSTRAINT positive CHECK (amount > 0), ALTER COLUMN placed SET DEFAULT now()`: {Kind: "ALTER TABLE", Table: `"Orders"`},
		"CREATE UNIQUE INDEX orders_code ON orders (lower(code)) WHERE code IS NOT NULL":                         {Kind: "CREATE INDEX", Table: `"orders"`},
		"DROP INDEX sales.orders_code":                                                     {Kind: "DROP INDEX", Index: `"sales"."orders_code"`},
		"ALTER TABLE orders RENAME COLUMN amt TO amount":                                   {Kind: "ALTER TABLE RENAME", Table: `"orders"`},
		"COMMENT ON COLUMN sales.orders.amount IS 'in cents; it was dollars'":              {Kind: "COMMENT ON COLUMN", Table: `"sales"."orders"`},
		"UPDATE orders SET region = upper(region), note = coalesce(note, '') WHERE id > 0": {Kind: "UPDATE", Table: `"orders"`},
		"UPDATE orders SET amount = amount * 100; -- cents":                                {Kind: "UPDATE", Table: `"orders"`},
	}
	for sql, want := range allowed {
		got, err := Check(sql, Policy{})
		require.NoError(t, err, sql)
		assert.Equal(t, want.Kind, got.Kind, sql)
		assert.Equal(t, want.Table, got.Table, sql)
		assert.Equal(t, want.Index, got.Index, sql)
	}
	got, err := Check("UPDATE orders SET rank = (SELECT count(*) FROM orders o2 WHERE o2.amount > orders.amount)", Policy{})
	require.NoError(t, err)
	assert.Equal(t, []string{`"orders"`, `"orders"`}, got.Relations, "a subquery's tables are returned for the caller to resolve")

	refused := map[string]string{
		"UPDATE orders SET c = c WHERE setval('invoices_id_seq', 1) > 0":                        "no function setval",
		"UPDATE orders SET c = c WHERE pg_terminate_backend(42)":                                "no function pg_terminate_backend",
		"ALTER TABLE orders ADD COLUMN n bigint DEFAULT nextval('other_seq')":                   "no function nextval",
		"UPDATE orders SET note = (SELECT t FROM dblink('host=evil', 'select 1') AS x(t text))": "no function dblink",
		"UPDATE orders SET note = pg_read_file('/etc/passwd')":                                  "no function pg_read_file",
		"UPDATE orders SET note = lo_import('/etc/passwd')::text":                               "no function lo_import",
		"UPDATE orders SET note = public.lower(note)":                                           "no function public.lower",
		"ALTER TABLE orders ADD COLUMN customer int REFERENCES customers (id)":                  "no FOREIGN KEY",
		"ALTER TABLE orders ADD FOREIGN KEY (customer) REFERENCES customers":                    "no FOREIGN KEY",
		"ALTER TABLE orders DISABLE ROW LEVEL SECURITY":                                         "no DISABLE ROW SECURITY",
		"ALTER TABLE orders DISABLE TRIGGER ALL":                                                "no DISABLE TRIG ALL",
		"ALTER TABLE orders OWNER TO mallory":                                                   "got CHANGE OWNER",
		"ALTER TABLE orders SET TABLESPACE slow":                                                "got SET TABLE SPACE",
		"ALTER TABLE orders RENAME TO orders_old":                                               "no RENAME TO of the table itself",
		"ALTER TABLE orders SET SCHEMA archive":                                                 "no SET SCHEMA",
		"CREATE INDEX CONCURRENTLY i ON orders (id)":                                            "no CREATE INDEX CONCURRENTLY",
		"DROP TABLE orders":                      "DROP INDEX only, got DROP TABLE",
		"DROP INDEX i CASCADE":                   "no CASCADE",
		"GRANT SELECT ON orders TO PUBLIC":       "got GRANT",
		"SELECT 1":                               "got SELECT",
		"UPDATE orders SET c = 1 FROM customers": "UPDATE without FROM",
		"WITH x AS (DELETE FROM customers RETURNING *) UPDATE orders SET c = 1": "UPDATE without WITH",
		"UPDATE orders SET c = 1 RETURNING *":                                   "without RETURNING",
		"ALTER TABLE orders ADD COLUMN c int; DROP TABLE customers":             "one statement per entry, got 2",
		`UPDATE orders SET note = E'\''; DROP TABLE customers; --'`:             "one statement per entry",
		"ALTER TABLE orders ADD COLUMN":                                         "PostgreSQL cannot parse it",
		"":                                                                      "a statement, got none",
		"ALTER MATERIALIZED VIEW v SET SCHEMA s":                                "no SET SCHEMA",
		"ALTER INDEX i RENAME TO j":                                             "rename of INDEX",
		"COMMENT ON FUNCTION f() IS 'x'":                                        "COMMENT ON TABLE or COLUMN only",
	}
	for sql, want := range refused {
		_, err := Check(sql, Policy{})
		require.Error(t, err, sql)
		assert.Contains(t, err.Error(), want, sql)
	}
}

func TestTheConnectionMayAllowMore(t *testing.T) {
	p := Policy{ForeignKeys: true, RowSecurity: true, Triggers: true}
	got, err := Check("ALTER TABLE orders ADD COLUMN customer int REFERENCES sales.customers (id)", p)
	require.NoError(t, err)
	assert.Equal(t, []string{`"sales"."customers"`}, got.References)
	assert.Equal(t, []string{`"orders"`}, got.Relations)
	for _, sql := range []string{"ALTER TABLE orders ENABLE ROW LEVEL SECURITY", "ALTER TABLE orders ENABLE TRIGGER audit"} {
		_, err := Check(sql, p)
		assert.NoError(t, err, sql)
	}
	_, err = Check("UPDATE orders SET c = setval('s', 1)", p)
	assert.ErrorContains(t, err, "no function setval", "no policy allows a function off the list")

	named := Policy{Functions: []string{"pg_sleep", "sales.normalize_phone"}}
	for _, sql := range []string{"UPDATE orders SET note = (SELECT 'n' FROM pg_sleep(0.01))", "UPDATE orders SET phone = sales.normalize_phone(phone)"} {
		_, err := Check(sql, named)
		assert.NoError(t, err, "the connection names these: %s", sql)
	}
	_, err = Check("UPDATE orders SET phone = normalize_phone(phone)", named)
	assert.ErrorContains(t, err, "no function normalize_phone", "a name is allowed as the connection writes it")
}

// FuzzCheck: the checker never panics, and no statement followed by a second one is
// ever allowed, however the first is quoted.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"ALTER TABLE t ADD COLUMN c int", `UPDATE t SET n = E'\''`, "COMMENT ON TABLE t IS $a1$x;y$a1$",
		"ALTER TABLE t /* ; */ ADD c int", "UPDATE t SET a = 'x' -- ;", "UPDATE t SET a = $$", "CREATE INDEX i ON t ((lower(a)))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Check(s, Policy{})
		if strings.ContainsAny(s, "\x00") {
			return
		}
		if _, err := Check(s+"\n; DROP TABLE x", Policy{}); err == nil {
			t.Fatalf("allowed a second statement after %q", s)
		}
	})
}
