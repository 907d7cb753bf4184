package connections

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/datadir"
)

func write(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "connections.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestAFileDefinesTheConnectionsAndTheirSecrets(t *testing.T) {
	base := t.TempDir()
	require.NoError(t, datadir.Set(base))
	t.Cleanup(func() { _ = datadir.Set(datadir.Default()) })
	t.Setenv("SALES_PG_PASSWORD", "s3cret")
	r, err := Load(write(t, `
orders:
  kind: sqlite
  path: demo/orders.db
sales:
  kind: postgres
  dsn: postgres://etl@sales-db.internal:5432/sales?sslmode=require
  password_env: SALES_PG_PASSWORD
  statement_timeout: 5m
`))
	require.NoError(t, err)
	assert.Equal(t, []string{"orders", "sales"}, r.Names())
	o, err := r.Get("source.connection", "orders")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(base, "demo", "orders.db"), o.SQLitePath(), "relative paths are inside the data directory")
	s, err := r.Get("source.connection", "sales")
	require.NoError(t, err)
	cfg, err := s.PostgresConfig()
	require.NoError(t, err)
	assert.Equal(t, "s3cret", cfg.Password)
	assert.Equal(t, "sales-db.internal", cfg.Host)
	assert.Equal(t, "5m0s", s.Timeout().String())
	assert.NotContains(t, s.String(), "s3cret")
}

func TestAnUnknownNameIsAValidationErrorListingTheKnownOnes(t *testing.T) {
	r, err := New(Connection{Name: "orders", Kind: SQLite, Path: "/x.db"})
	require.NoError(t, err)
	_, err = r.Get("source.connection", "billing")
	var ve *contract.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "source.connection", ve.Field)
	assert.Contains(t, ve.Expected, "(orders)")
	var none *Registry
	_, err = none.Get("connection", "x")
	assert.ErrorContains(t, err, "(none)")
}

func TestBadFilesNameTheEntry(t *testing.T) {
	cases := map[string]string{
		"a:\n  kind: oracle\n":                                                                `kind: expected sqlite, postgres or spark, got "oracle"`,
		"a:\n  kind: spark\n  url: ftp://livy\n":                                              "url: expected the Livy server",
		"a:\n  kind: spark\n  url: http://u:pw@livy:8998\n":                                   "no credentials in the URL",
		"a:\n  kind: spark\n  url: http://livy:8998\n":                                        "spark.files: required",
		"a:\n  kind: spark\n  url: http://livy\n  spark: {files: [s3a://jobs/], poll: 1ms}\n": "spark.poll",
		"a:\n  kind: sqlite\n  path: x.db\n  url: http://livy\n":                              "for spark connections only",
		"a:\n  kind: sqlite\n":                                                                "a sqlite connection has a path",
		"a:\n  kind: postgres\n  dsn: postgres://u:pw@h/db\n":                                 "the dsn holds a password",
		"a:\n  kind: sqlite\n  path: x.db\n  host: evil\n":                                    `connection "a": "host": unknown field`,
		"a:\n  kind: sqlite\n  path: x.db\nb:\n  kind: sqlite\n  path: [x, y]\n":              `connection "b": path: expected string, got array`,
		"a:\n  kind: postgres\n  dsn: postgres://u@h/db\n  statement_timeout: soon\n":         `connection "a": statement_timeout: expected a duration`,
		"a: sqlite\n":                                             `connection "a": expected a mapping of settings`,
		"../up:\n  kind: sqlite\n  path: x.db\n":                  `connection name "../up"`,
		"a:\n  kind: postgres\n  dsn: \"host=h port=notaport\"\n": "cannot parse it as a PostgreSQL DSN",
		"lake:\n  kind: spark\n  url: https://livy:8998\n  spark:\n    files: [s3a://j/]\n    sql_file: s3a://j/sql.py\n": "spark.allow_queries",
	}
	for body, want := range cases {
		_, err := Load(write(t, body))
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
	}
	_, err := Load(filepath.Join(t.TempDir(), "asked-for.yaml"))
	assert.ErrorContains(t, err, "--connections", "a file that was asked for must exist")
	r, err := Load(DefaultFile)
	require.NoError(t, err, "a missing default file is no connections")
	assert.Empty(t, r.Names())
}

func TestSparkConnectionsAllowOnlyTheirFiles(t *testing.T) {
	r, err := Load(write(t, "lake:\n  kind: spark\n  url: https://livy.example:8998\n  username: etl\n  password_env: LIVY_PW\n  spark:\n    files: [s3a://jobs/extract/]\n    poll: 2s\n"))
	require.NoError(t, err)
	c, err := r.Get("source.connection", "lake")
	require.NoError(t, err)
	assert.True(t, c.AllowsFile("s3a://jobs/extract/orders.py"))
	assert.False(t, c.AllowsFile("s3a://jobs/extract-evil/orders.py"), "a prefix matches whole segments")
	assert.False(t, c.AllowsFile("s3a://jobs/extract/../admin/drop.py"))
	assert.False(t, c.AllowsFile("s3a://other/orders.py"))
	poll, err := c.SparkPoll()
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, poll)
	t.Setenv("LIVY_PW", "s3cret")
	user, pw, token, err := c.Credentials()
	require.NoError(t, err)
	assert.Equal(t, []string{"etl", "s3cret", ""}, []string{user, pw, token})
	assert.Equal(t, "lake (spark https://livy.example:8998)", c.String())
}
