package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/staging"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

func demoDB(t testing.TB, rows int, nullRate float64) string {
	path := filepath.Join(t.TempDir(), "orders.db")
	require.NoError(t, demo.CreateOrders(context.Background(), path, demo.OrdersSpec{Rows: rows, NullRate: nullRate, Seed: 1}))
	return path
}

// input reads table orders of connection "orders"; conns defines it as db.
func input(string) contract.ExtractInput {
	return contract.ExtractInput{PipelineID: "orders", RunID: "pipeline-orders-1",
		Source: contract.SourceConfig{Connection: "orders", Table: "orders"}}
}

func conns(t testing.TB, db string) *connections.Registry {
	return testkit.Connections(t, testkit.SQLiteConn("orders", db))
}

func countRows(t *testing.T, store *staging.Store, files []string) int64 {
	r, err := store.NewReader(context.Background(), files)
	require.NoError(t, err)
	defer r.Release()
	for r.Next() {
	}
	require.NoError(t, r.Err())
	return r.Rows
}

func TestExtractStreamsIntoBoundedFiles(t *testing.T) {
	db := demoDB(t, 1000, 0.1)
	e := &Extractor{Store: stagingtest.Store(t), Connections: conns(t, db), RowsPerFile: 300, BatchRows: 128}
	var beats int
	res, err := e.Extract(context.Background(), input(db), Progress{}, func(Progress) { beats++ })
	require.NoError(t, err)
	assert.Equal(t, int64(1000), res.Rows)
	assert.Len(t, res.Files, 4, "1000 rows at 300 per file")
	assert.Equal(t, int64(1000), countRows(t, e.Store, res.Files))
	assert.Equal(t, e.Store.URL()+"orders/pipeline-orders-1/extract/", res.OutputPath)
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
	e := &Extractor{Store: stagingtest.StoreAt(t, stage), Connections: conns(t, db), RowsPerFile: 300, BatchRows: 100}
	first, err := e.Extract(context.Background(), input(db), Progress{}, nil)
	require.NoError(t, err)
	// A retry that heartbeated two complete files: the rest is re-read from row 601,
	// and a stray file from the crashed attempt is replaced.
	stray := filepath.Join(stage, first.Files[0][:len(first.Files[0])-len(staging.FileName(0))]+staging.FileName(2))
	require.NoError(t, os.WriteFile(stray, []byte("garbage"), 0o644))
	res, err := e.Extract(context.Background(), input(db), Progress{Files: first.Files[:2], Rows: 600}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), res.Rows)
	assert.Equal(t, first.Files, res.Files)
	assert.Equal(t, int64(1000), countRows(t, e.Store, res.Files))
}

func TestAResumePointOutsideTheRunIsIgnored(t *testing.T) {
	db := demoDB(t, 100, 0)
	e := &Extractor{Store: stagingtest.Store(t), Connections: conns(t, db), RowsPerFile: 1000}
	other, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "orders", RunID: "other",
		Source: contract.SourceConfig{Connection: "orders", Table: "orders"}}, Progress{}, nil)
	require.NoError(t, err)
	res, err := e.Extract(context.Background(), input(db), Progress{Files: other.Files, Rows: 100}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(100), res.Rows, "another run's files are not this run's progress")
	assert.NotEqual(t, other.Files, res.Files)
}

func TestASlowFirstBatchStillHeartbeats(t *testing.T) {
	db := demoDB(t, 10, 0)
	e := &Extractor{Store: stagingtest.Store(t), Connections: conns(t, db), KeepAlive: time.Millisecond}
	in := input(db)
	// A recursive query that counts to two million before its first row: the keep-alive
	// goroutine heartbeats while the source has not answered.
	in.Source.Table = ""
	in.Source.Query = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000000) SELECT max(i) AS m FROM n"
	var mu sync.Mutex
	beats := 0
	_, err := e.Extract(context.Background(), in, Progress{}, func(Progress) { mu.Lock(); beats++; mu.Unlock() })
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Greater(t, beats, 2, "heartbeats while the query ran, not only after its one batch")
}

func TestBadSourcesAreValidationErrors(t *testing.T) {
	db := demoDB(t, 10, 0)
	cases := map[string]func(*contract.ExtractInput){
		"source.dsn": func(in *contract.ExtractInput) {
			in.Source.Connection = ""
			in.Source.Kind = "sqlite"
			in.Source.DSN = "/etc/passwd"
		},
		"source.connection": func(in *contract.ExtractInput) { in.Source.Connection = "billing" },
		"source.query":      func(in *contract.ExtractInput) { in.Source.Table = ""; in.Source.Query = "SELECT nope FROM orders" },
		"staging_path":      func(in *contract.ExtractInput) { in.StagingPath = "/does/not/exist" },
		"source.kind":       func(in *contract.ExtractInput) { in.Source.Kind = "oracle" },
	}
	for field, mutate := range cases {
		in := input(db)
		mutate(&in)
		_, err := (&Extractor{Store: stagingtest.Store(t), Connections: conns(t, db)}).Extract(context.Background(), in, Progress{}, nil)
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
	src, conn, err := Resolve(conns(t, dbPath), contract.SourceConfig{Connection: "orders", Table: "orders"})
	require.NoError(t, err)
	db, err := Open(context.Background(), conn)
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

// TestAHostInTheInputIsNeverDialled: a source that names a host the worker's
// configuration does not list is refused before anything connects. A listener on
// loopback stands where the caller pointed, and counts zero connections.
func TestAHostInTheInputIsNeverDialled(t *testing.T) {
	ln := testkit.ListenCounting(t)
	db := demoDB(t, 10, 0)
	e := &Extractor{Store: stagingtest.Store(t), Connections: conns(t, db)}
	for _, src := range []contract.SourceConfig{
		{Kind: contract.SourcePostgres, DSN: "postgres://etl@" + ln.Addr + "/sales?sslmode=disable", Table: "orders"},
		{Kind: contract.SourceSQLite, DSN: "/etc/passwd", Table: "orders"},
		{Connection: "sales-" + ln.Addr, Table: "orders"},
	} {
		in := input(db)
		in.Source = src
		_, err := e.Extract(context.Background(), in, Progress{}, nil)
		var ve *contract.ValidationError
		require.True(t, errors.As(err, &ve), "%+v: %v", src, err)
	}
	time.Sleep(50 * time.Millisecond)
	assert.Zero(t, ln.Count(), "no connection reached the host the input named")
}
