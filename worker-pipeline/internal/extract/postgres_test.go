package extract

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
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

	// Behind PgBouncer DSNs often ask for the simple protocol, which runs a string of
	// several statements: a query closing the probe's parenthesis, committing, and
	// turning the session read-write. Extraction speaks the extended protocol and
	// reads in READ ONLY transactions whatever the DSN says.
	bouncer := testkit.PostgresConn("bouncer", dsn+"&default_query_exec_mode=simple_protocol")
	if !strings.Contains(dsn, "?") {
		bouncer.DSN = dsn + "?default_query_exec_mode=simple_protocol"
	}
	e.Connections = testkit.Connections(t, bouncer)
	escape := "SELECT 1 AS x) AS probe LIMIT 0; COMMIT; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; COMMIT; " +
		"CREATE TABLE pwned (x int); UPDATE orders SET amount = 0; SELECT * FROM (SELECT 1 AS x"
	_, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "pg", RunID: "b",
		Source: contract.SourceConfig{Connection: "bouncer", Query: escape}}, Progress{}, nil)
	require.Error(t, err)
	assert.Equal(t, "f", testkit.Psql(t, dsn, "SELECT to_regclass('pwned') IS NOT NULL"), "no table was created")
	assert.Equal(t, "30", testkit.Psql(t, dsn, "SELECT sum(amount)::int FROM orders"), "no row was changed")
}

// TestEveryPostgresTypeReachesParquet extracts one row of every type a source
// uses, and a row of nulls, through the binary reader, and compares what the staged
// Parquet holds with what PostgreSQL says.
func TestEveryPostgresTypeReachesParquet(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE typed (id int PRIMARY KEY, small smallint, big bigint, price numeric(12,4), neg numeric,
		ratio real, score double precision, name text, code varchar(8), flag char(3), ok boolean, day date,
		at timestamp, atz timestamptz, uid uuid, doc jsonb, raw bytea, tags text[], ints int[], nums numeric[], js json);
	INSERT INTO typed VALUES
	  (1, -7, 9007199254740993, 1234.5678, -0.000123, 1.5, -2.25, 'Ana López', 'EU-1', 'ab', true, '2026-02-12',
	   '2026-02-12 03:04:05.123456', '2026-02-12 03:04:05.654321+02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
	   '{"k": [1, 2]}', '\xdeadbeef', '{x,NULL,"y z"}', '{7,-8}', '{1.5}', '[1, "a"]'),
	  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	e := &Extractor{Store: stagingtest.Store(t), Connections: testkit.Connections(t, testkit.PostgresConn("pg", dsn))}
	res, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "typed", RunID: "r",
		Source: contract.SourceConfig{Connection: "pg", Table: "typed"}}, Progress{}, nil)
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Rows)

	r, err := e.Store.NewReader(context.Background(), res.Files)
	require.NoError(t, err)
	defer r.Release()
	got := map[string][2]string{}
	for r.Next() {
		rec := r.Record()
		for c, f := range rec.Schema().Fields() {
			col := rec.Column(c)
			for row := 0; row < int(rec.NumRows()); row++ {
				v := got[f.Name]
				v[row] = col.ValueStr(row)
				got[f.Name] = v
			}
		}
	}
	require.NoError(t, r.Err())
	want := map[string]string{
		"id": "1", "small": "-7", "big": "9007199254740993", "price": "1234.5678", "neg": "-0.000123", "ratio": "1.5",
		"score": "-2.25", "name": "Ana López", "code": "EU-1", "flag": "ab ", "ok": "true", "day": "2026-02-12",
		"at": "2026-02-12T03:04:05.123456Z", "atz": "2026-02-12T01:04:05.654321Z", "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"doc": `{"k": [1, 2]}`, "raw": `3q2+7w==`, "tags": `["x",null,"y z"]`, "ints": "[7,-8]", "nums": "[1.5]", "js": `[1, "a"]`,
	}
	for col, v := range want {
		assert.Equal(t, v, got[col][0], "column %s", col)
		if col != "id" {
			assert.Equal(t, "(null)", got[col][1], "column %s null", col)
		}
	}
}

// stagedKeys reads the id column of staged files.
func stagedKeys(t *testing.T, e *Extractor, files []string) []int64 {
	t.Helper()
	r, err := e.Store.NewReader(context.Background(), files)
	require.NoError(t, err)
	defer r.Release()
	var keys []int64
	for r.Next() {
		rec := r.Record()
		col := rec.Column(rec.Schema().FieldIndices("id")[0]).(*array.Int64)
		keys = append(keys, col.Int64Values()...)
	}
	require.NoError(t, r.Err())
	return keys
}

// TestAParallelReadResumesEachRangeByKey reads a table as four key ranges, stops
// the read midway as a crash would, and resumes: the retry reads only what the
// ranges had not finished, and the staged rows are the table's, each once.
func TestAParallelReadResumesEachRangeByKey(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric, note text);
		INSERT INTO orders SELECT g, g * 1.5, 'n' || g FROM generate_series(1, 20000) g`)
	reg := testkit.Connections(t, testkit.PostgresConn("pg", dsn))
	e := &Extractor{Store: stagingtest.Store(t), Connections: reg, RowsPerFile: 1000, BatchRows: 250}
	in := contract.ExtractInput{PipelineID: "par", RunID: "r", Source: contract.SourceConfig{Connection: "pg", Table: "orders", Parallelism: 4}}

	// The first attempt dies once 6,000 rows are in complete files.
	ctx, cancel := context.WithCancel(context.Background())
	var last Progress
	var mu sync.Mutex
	_, err := e.Extract(ctx, in, Progress{}, func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		last = p
		if p.Rows >= 6000 {
			cancel()
		}
	})
	require.Error(t, err, "the first attempt was cut")
	mu.Lock()
	resume := last
	mu.Unlock()
	require.Len(t, resume.Ranges, 4)
	require.Less(t, resume.Rows, int64(20000))
	for _, r := range resume.Ranges {
		assert.Equal(t, int64(len(r.Files))*1000, r.Rows, "a range's progress counts complete files only")
	}

	// Proof that the retry reads only what was not finished: the rows already in
	// complete files leave the source. A retry that read them again would now miss them.
	done := stagedKeys(t, e, resume.Files)
	require.Len(t, done, int(resume.Rows))
	var list []string
	for _, k := range done {
		list = append(list, strconv.FormatInt(k, 10))
	}
	testkit.Psql(t, dsn, "DELETE FROM orders WHERE id IN ("+strings.Join(list, ",")+")")

	res, err := e.Extract(context.Background(), in, resume, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(20000), res.Rows)
	for _, f := range resume.Files {
		assert.Contains(t, res.Files, f, "the first attempt's files are kept, not read again")
	}
	keys := stagedKeys(t, e, res.Files)
	require.Len(t, keys, 20000, "no row doubled or lost")
	slices.Sort(keys)
	for i, k := range keys {
		require.Equal(t, int64(i+1), k)
	}
	for _, f := range res.Files {
		assert.Regexp(t, `/part-r0[0-3]-\d{5}\.parquet$`, f, "each range writes its own files")
	}
}

// A table without an integer key, or a query, reads one stream whatever the
// parallelism asked.
func TestOnlyAnIntegerKeySplitsIntoRanges(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE tagged (tag text PRIMARY KEY); INSERT INTO tagged SELECT 't' || g FROM generate_series(1, 500) g`)
	e := &Extractor{Store: stagingtest.Store(t), Connections: testkit.Connections(t, testkit.PostgresConn("pg", dsn)), RowsPerFile: 100}
	res, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "t", RunID: "r",
		Source: contract.SourceConfig{Connection: "pg", Table: "tagged", Parallelism: 4}}, Progress{}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(500), res.Rows)
	for _, f := range res.Files {
		assert.Regexp(t, `/part-\d{5}\.parquet$`, f)
	}
}
