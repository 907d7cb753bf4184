package connections

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

// TestConnectionsSayWhatTheyAreFor: extraction and migrations log in as different
// roles, so a connection is for one of them, extraction by default, and each input
// is refused a connection for the other.
func TestConnectionsSayWhatTheyAreFor(t *testing.T) {
	for body, want := range map[string]string{
		"a:\n  kind: postgres\n  dsn: postgres://etl@db/sales\n  use: [extract, migrate]\n":                                   "not both",
		"a:\n  kind: sqlite\n  path: a.db\n  use: [migrate]\n":                                                                "migrate is for postgres connections",
		"a:\n  kind: postgres\n  dsn: postgres://etl@db/sales\n  use: [write]\n":                                              `expected [extract] or [migrate], got "write"`,
		"a:\n  kind: postgres\n  dsn: postgres://etl@db/sales\n  use: migrate\n":                                              "use: expected",
		"a:\n  kind: postgres\n  dsn: postgres://etl@db/sales\n  migrate: {foreign_keys: true}\n":                             "migrate: settings for migrations, on a connection with use: [migrate]",
		"a:\n  kind: postgres\n  dsn: postgres://etl@db/sales\n  use: [migrate]\n  migrate: {functions: [\"pg_sleep(1)\"]}\n": "migrate.functions[0]: expected a function name",
	} {
		_, err := Load(write(t, body))
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
	}
	r, err := Load(write(t, "reader:\n  kind: postgres\n  dsn: postgres://etl_read@db/sales\n"+
		"owner:\n  kind: postgres\n  dsn: postgres://etl_migrate@db/sales\n  use: [migrate]\n  migrate: {foreign_keys: true}\n"))
	require.NoError(t, err)
	reader, _ := r.Get("source.connection", "reader")
	owner, _ := r.Get("connection", "owner")
	assert.True(t, reader.For(UseExtract), "a connection that does not say is for extraction")
	assert.False(t, reader.For(UseMigrate))
	assert.True(t, owner.For(UseMigrate))
	assert.Equal(t, MigrateSettings{ForeignKeys: true}, owner.MigrateAllows())
	assert.Equal(t, MigrateSettings{}, reader.MigrateAllows())

	err = r.RequireKnown(contract.MigrationConfig{Connection: "reader"})
	var v *contract.ValidationError
	require.ErrorAs(t, err, &v)
	assert.Equal(t, "connection", v.Field)
	assert.Contains(t, err.Error(), "a connection for migrate (use: [migrate]); reader is for extract")
	err = r.RequireKnown(contract.PipelineConfig{Source: contract.SourceConfig{Connection: "owner"}})
	require.ErrorAs(t, err, &v)
	assert.Equal(t, "source.connection", v.Field)
	assert.Contains(t, err.Error(), "a connection for extract (use: [extract]); owner is for migrate")
	assert.NoError(t, r.RequireKnown(contract.MigrationConfig{Connection: "owner"}))
	assert.NoError(t, r.RequireKnown(contract.BackfillConfig{Source: contract.SourceConfig{Connection: "reader"}}))
}
