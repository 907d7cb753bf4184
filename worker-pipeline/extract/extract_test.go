package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/demo"
	"github.com/matih/ops/worker-pipeline/staging"
)

func demoDB(t testing.TB, rows int, nullRate float64) string {
	path := filepath.Join(t.TempDir(), "orders.db")
	require.NoError(t, demo.CreateOrders(context.Background(), path, demo.OrdersSpec{Rows: rows, NullRate: nullRate, Seed: 1}))
	return path
}

func input(db, staging string) contract.ExtractInput {
	return contract.ExtractInput{PipelineID: "orders", RunID: "pipeline-orders-1", StagingPath: staging,
		Source: contract.SourceConfig{Kind: contract.SourceSQLite, DSN: db, Table: "orders"}}
}

func countRows(t *testing.T, files []string) int64 {
	r, err := staging.NewReader(context.Background(), files)
	require.NoError(t, err)
	defer r.Release()
	for r.Next() {
	}
	require.NoError(t, r.Err())
	return r.Rows
}

func TestExtractStreamsIntoBoundedFiles(t *testing.T) {
	db := demoDB(t, 1000, 0.1)
	e := &Extractor{RowsPerFile: 300, BatchRows: 128}
	var beats int
	res, err := e.Extract(context.Background(), input(db, t.TempDir()), Progress{}, func(Progress) { beats++ })
	require.NoError(t, err)
	assert.Equal(t, int64(1000), res.Rows)
	assert.Len(t, res.Files, 4, "1000 rows at 300 per file")
	assert.Equal(t, int64(1000), countRows(t, res.Files))
	assert.Greater(t, beats, 4)
	names := []string{}
	for _, c := range res.Schema {
		names = append(names, c.Name+":"+c.Type)
	}
	assert.Equal(t, []string{"order_id:int64", "customer_id:int64", "amount:float64", "status:utf8", "order_date:date32", "created_at:timestamp[us, tz=UTC]"}, names)
}

func TestRetryResumesAfterHeartbeatedFiles(t *testing.T) {
	db := demoDB(t, 1000, 0)
	stage := t.TempDir()
	e := &Extractor{RowsPerFile: 300, BatchRows: 100}
	first, err := e.Extract(context.Background(), input(db, stage), Progress{}, nil)
	require.NoError(t, err)
	// A retry that heartbeated two complete files: the rest is re-read from row 601,
	// and a stray file from the crashed attempt is replaced.
	stray := filepath.Join(first.OutputPath, staging.FileName(2))
	require.NoError(t, os.WriteFile(stray, []byte("garbage"), 0o644))
	res, err := e.Extract(context.Background(), input(db, stage), Progress{Files: first.Files[:2], Rows: 600}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), res.Rows)
	assert.Equal(t, first.Files, res.Files)
	assert.Equal(t, int64(1000), countRows(t, res.Files))
}

func TestBadSourcesAreValidationErrors(t *testing.T) {
	db := demoDB(t, 10, 0)
	cases := map[string]func(*contract.ExtractInput){
		"source.dsn":   func(in *contract.ExtractInput) { in.Source.DSN = "/nope/missing.db" },
		"source.query": func(in *contract.ExtractInput) { in.Source.Table = ""; in.Source.Query = "SELECT nope FROM orders" },
		"staging_path": func(in *contract.ExtractInput) { in.StagingPath = "/does/not/exist" },
		"source.kind":  func(in *contract.ExtractInput) { in.Source.Kind = "oracle" },
	}
	for field, mutate := range cases {
		in := input(db, t.TempDir())
		mutate(&in)
		_, err := (&Extractor{}).Extract(context.Background(), in, Progress{}, nil)
		var ve *contract.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", field, err)
		assert.Equal(t, field, ve.Field)
	}
}

func TestOnlyAUniqueOrderResumes(t *testing.T) {
	q, ordered := Query(contract.SourceConfig{Query: "select * from orders order by order_date"}, "")
	assert.False(t, ordered, "a query's ORDER BY may not be unique: restart instead of resuming")
	assert.Equal(t, "select * from orders order by order_date", q)
	q, ordered = Query(contract.SourceConfig{Table: "orders"}, "rowid")
	assert.True(t, ordered)
	assert.Equal(t, `SELECT * FROM "orders" ORDER BY rowid`, q)
	_, ordered = Query(contract.SourceConfig{Table: "orders"}, "")
	assert.False(t, ordered)
	assert.Contains(t, withOffset(contract.SourceSQLite, "SELECT 1", 5), "LIMIT -1 OFFSET 5")
	assert.Contains(t, withOffset(contract.SourcePostgres, "SELECT 1", 5), "LIMIT ALL OFFSET 5")
}

func TestUniqueOrderOfARealTable(t *testing.T) {
	dbPath := demoDB(t, 10, 0)
	src := contract.SourceConfig{Kind: contract.SourceSQLite, DSN: dbPath, Table: "orders"}
	db, err := Open(context.Background(), src)
	require.NoError(t, err)
	defer db.Close()
	assert.Equal(t, "rowid", UniqueOrder(context.Background(), db, src))
	assert.Equal(t, "", UniqueOrder(context.Background(), db, contract.SourceConfig{Kind: contract.SourceSQLite, Query: "SELECT 1"}))
}

func TestTransientSourceErrorsStayRetryable(t *testing.T) {
	var ve *contract.ValidationError
	assert.False(t, errors.As(ClassifySourceError(errors.New("connection reset by peer")), &ve))
	assert.True(t, errors.As(ClassifySourceError(errors.New("SQL logic error: no such column: nope (1)")), &ve))
}
