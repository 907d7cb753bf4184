package extract

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

// TestPostgresSourceResumesByPrimaryKey extracts a real PostgreSQL table, then
// resumes after two heartbeated files: the primary key gives a unique order, so the
// resumed extraction holds every row once.
func TestPostgresSourceResumesByPrimaryKey(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE orders (region text, id int, amount numeric, placed timestamptz, PRIMARY KEY (region, id));
		INSERT INTO orders SELECT CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g, g * 1.5, now() FROM generate_series(1, 1000) g`)
	reg := testkit.Connections(t, testkit.PostgresConn("pg", dsn))
	src, conn, err := Resolve(reg, contract.SourceConfig{Connection: "pg", Table: "orders"})
	require.NoError(t, err)
	db, err := Open(context.Background(), conn)
	require.NoError(t, err)
	defer db.Close()
	assert.Equal(t, `"region", "id"`, UniqueOrder(context.Background(), db, src))

	e := &Extractor{Store: stagingtest.Store(t), Connections: reg, RowsPerFile: 300, BatchRows: 100}
	in := contract.ExtractInput{PipelineID: "pg", RunID: "r", Source: src}
	first, err := e.Extract(context.Background(), in, Progress{}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), first.Rows)
	res, err := e.Extract(context.Background(), in, Progress{Files: first.Files[:2], Rows: 600}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), countRows(t, e.Store, res.Files))

	_, err = e.Extract(context.Background(), contract.ExtractInput{PipelineID: "pg", RunID: "r2",
		Source: contract.SourceConfig{Connection: "pg", Query: "SELECT nope FROM orders"}}, Progress{}, nil)
	require.ErrorContains(t, err, "SQLSTATE 42703", "an unknown column is named with its SQLSTATE")
}

// TestQuerySourcesCannotWrite: a query that writes, however it is dressed up, is
// refused by the server, because source sessions are read-only.
func TestQuerySourcesCannotWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric); INSERT INTO orders VALUES (1, 10), (2, 20);`)
	e := &Extractor{Store: stagingtest.Store(t), Connections: testkit.Connections(t, testkit.PostgresConn("pg", dsn))}
	for _, q := range []string{
		"WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone",
		"SELECT * FROM orders; DROP TABLE orders",
		"WITH x AS (UPDATE orders SET amount = 0 RETURNING *) SELECT * FROM x",
	} {
		_, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "pg", RunID: "w",
			Source: contract.SourceConfig{Connection: "pg", Query: q}}, Progress{}, nil)
		require.Error(t, err, q)
	}
	assert.Equal(t, "2", testkit.Psql(t, dsn, "SELECT count(*) FROM orders"), "nothing was written or dropped")
}
