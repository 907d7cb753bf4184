package extract

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/staging/stagingtest"
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
	src := contract.SourceConfig{Kind: contract.SourcePostgres, DSN: dsn, Table: "orders"}
	db, err := Open(context.Background(), src)
	require.NoError(t, err)
	defer db.Close()
	assert.Equal(t, `"region", "id"`, UniqueOrder(context.Background(), db, src))

	e := &Extractor{Store: stagingtest.Store(t), RowsPerFile: 300, BatchRows: 100}
	in := contract.ExtractInput{PipelineID: "pg", RunID: "r", Source: src}
	first, err := e.Extract(context.Background(), in, Progress{}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), first.Rows)
	res, err := e.Extract(context.Background(), in, Progress{Files: first.Files[:2], Rows: 600}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), countRows(t, e.Store, res.Files))

	_, err = e.Extract(context.Background(), contract.ExtractInput{PipelineID: "pg", RunID: "r2",
		Source: contract.SourceConfig{Kind: contract.SourcePostgres, DSN: dsn, Query: "SELECT nope FROM orders"}}, Progress{}, nil)
	require.ErrorContains(t, err, "SQLSTATE 42703", "an unknown column is named with its SQLSTATE")
}
