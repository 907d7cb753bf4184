package pgmigrate

import (
	"context"
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

// leastPrivilege makes a role that owns orders and its sequence, may create schemas
// in the test's database, and is neither a superuser nor able to create roles, and
// returns a backend that migrates as it.
func leastPrivilege(t *testing.T, dsn string) *Backend {
	t.Helper()
	role := fmt.Sprintf("mig_%d", time.Now().UnixNano())
	db := dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
	testkit.Psql(t, dsn, fmt.Sprintf(`CREATE ROLE %[1]s LOGIN PASSWORD 'pw-%[1]s' NOSUPERUSER NOCREATEROLE NOCREATEDB;
		CREATE ROLE %[1]s_app NOLOGIN;
		GRANT CREATE ON DATABASE %[2]s TO %[1]s; GRANT USAGE, CREATE ON SCHEMA public TO %[1]s;
		ALTER TABLE orders OWNER TO %[1]s; ALTER SEQUENCE orders_id_seq OWNER TO %[1]s;
		GRANT SELECT, INSERT ON orders TO %[1]s_app;
		ALTER TABLE orders SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05);
		COMMENT ON TABLE orders IS 'the shop''s orders'`, role, db))
	t.Cleanup(func() {
		testkit.Psql(t, dsn, fmt.Sprintf(`DROP OWNED BY %[1]s, %[1]s_app CASCADE; DROP ROLE %[1]s; DROP ROLE %[1]s_app`, role))
	})
	env := "PW_" + strings.ToUpper(role)
	t.Setenv(env, "pw-"+role)
	u := "postgres://" + role + dsn[strings.Index(dsn, "@"):]
	reg, err := connections.New(connections.Connection{Name: "least", Kind: connections.Postgres, DSN: u, PasswordEnv: env, Use: []string{connections.UseMigrate}})
	require.NoError(t, err)
	return &Backend{Connections: reg}
}

// TestALeastPrivilegeRoleMigratesAndRestoresEverything runs the whole cycle as a
// role that only owns the table: the restore gives back data, owner, grants,
// storage parameters and the comment.
func TestALeastPrivilegeRoleMigratesAndRestoresEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local PostgreSQL")
	}
	ctx := context.Background()
	dsn, cfg := setup(t)
	b := leastPrivilege(t, dsn)
	cfg.Connection = "least"
	before := snapshot(t, dsn)
	access := func() string {
		return testkit.Psql(t, dsn, `SELECT pg_get_userbyid(relowner) || ' ' || coalesce(array_to_string(reloptions, ','), '') || ' ' ||
			coalesce(obj_description(oid, 'pg_class'), '') || ' ' || has_table_privilege(pg_get_userbyid(relowner) || '_app', oid, 'INSERT')
			FROM pg_class WHERE relname = 'orders' AND relnamespace = 'public'::regnamespace`)
	}
	wantAccess := access()
	require.NoError(t, b.Validate(ctx, cfg))
	ref, err := b.Backup(ctx, cfg)
	require.NoError(t, err)
	_, err = b.Apply(ctx, cfg)
	require.NoError(t, err)
	res, err := b.Restore(ctx, ref)
	require.NoError(t, err, "a least-privilege role can restore")
	assert.True(t, res.Restored)
	assert.Equal(t, before, snapshot(t, dsn))
	assert.Equal(t, wantAccess, access(), "owner, storage parameters, comment and grants are back")
	assert.Contains(t, wantAccess, "fillfactor=80")
	assert.True(t, strings.HasSuffix(wantAccess, " true"), "the app role could insert before: %s", wantAccess)
}

// TestWhatARestoreCannotKeepIsRefusedUpFront: triggers, row-level security and a
// table the role cannot replace are refused before anything changes, by name.
func TestWhatARestoreCannotKeepIsRefusedUpFront(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local PostgreSQL")
	}
	ctx := context.Background()
	for name, tc := range map[string]struct{ sql, want string }{
		"trigger": {`CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
			CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch()`, "triggers orders_touch"},
		"policy":      {`ALTER TABLE orders ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON orders USING (true)`, "row-level security policies own"},
		"publication": {`CREATE PUBLICATION orders_pub FOR TABLE orders`, "publications orders_pub"},
	} {
		t.Run(name, func(t *testing.T) {
			dsn, cfg := setup(t)
			b := leastPrivilege(t, dsn)
			cfg.Connection = "least"
			testkit.Psql(t, dsn, tc.sql)
			err := b.Validate(ctx, cfg)
			var sc *contract.SchemaConflictError
			require.ErrorAs(t, err, &sc)
			assert.Contains(t, sc.Detail, tc.want)
			if name == "publication" {
				testkit.Psql(t, dsn, `DROP PUBLICATION orders_pub`)
			}
		})
	}
	t.Run("another owner", func(t *testing.T) {
		dsn, cfg := setup(t)
		b := leastPrivilege(t, dsn)
		cfg.Connection = "least"
		testkit.Psql(t, dsn, `CREATE TABLE other (id int); GRANT ALL ON other TO PUBLIC`)
		cfg.Table = "other"
		cfg.Statements = []string{"ALTER TABLE other ADD COLUMN note text"}
		cfg.ExpectedColumns = nil
		err := b.Validate(ctx, cfg)
		var pd *contract.PermissionDeniedError
		require.ErrorAs(t, err, &pd)
		assert.Contains(t, pd.Detail, "not a member")
	})
}
