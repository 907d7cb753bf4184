package lakehouse

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

// TestEveryPostgresTypeRoundTripsThroughIceberg: a table of every type extraction
// maps is extracted, staged and loaded, and the Iceberg table holds the same
// values, lists and bytes included; a column of a type it does not map is refused,
// naming the column, before anything is staged.
func TestEveryPostgresTypeRoundTripsThroughIceberg(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	ctx := context.Background()
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE typed (id int PRIMARY KEY, big bigint, price numeric(12,4), score double precision,
		ok boolean, day date, atz timestamptz, name text, uid uuid, doc jsonb, raw bytea, tags text[], ints int8[], flags bool[]);
	INSERT INTO typed VALUES (1, 9007199254740993, 1234.5678, -2.25, true, '2026-02-12', '2026-02-12 03:04:05.654321+02',
	   'Ana López', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2]}', '\xdeadbeef', '{x,NULL,"y z"}', '{7,-8}', '{}');
	CREATE TABLE odd (id int, span interval);`)
	store := stagingtest.Store(t)
	e := &extract.Extractor{Store: store, Connections: testkit.Connections(t, testkit.PostgresConn("pg", dsn))}
	staged, err := e.Extract(ctx, contract.ExtractInput{PipelineID: "typed", RunID: "r", Source: contract.SourceConfig{Connection: "pg", Table: "typed"}}, extract.Progress{}, nil)
	require.NoError(t, err)

	dir := t.TempDir()
	cat, closeCat, err := Open(ctx, Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
	require.NoError(t, err)
	defer closeCat()
	_, err = (&Loader{Catalog: cat, Store: store}).Load(ctx, contract.LoadInput{InputPath: staged.OutputPath,
		Destination: contract.DestinationConfig{Table: "analytics.typed"}, IdempotencyKey: "typed-1"})
	require.NoError(t, err)
	ident, err := Ident("analytics.typed")
	require.NoError(t, err)
	tbl, err := cat.LoadTable(ctx, ident)
	require.NoError(t, err)
	at, err := tbl.Scan().ToArrowTable(ctx)
	require.NoError(t, err)
	defer at.Release()
	require.Equal(t, int64(1), at.NumRows())
	got := map[string]string{}
	for i, f := range at.Schema().Fields() {
		got[f.Name] = at.Column(i).Data().Chunk(0).ValueStr(0)
	}
	assert.Equal(t, map[string]string{"id": "1", "big": "9007199254740993", "price": "1234.5678", "score": "-2.25", "ok": "true",
		"day": "2026-02-12", "atz": "2026-02-12T01:04:05.654321Z", "name": "Ana López", "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"doc": `{"k": [1, 2]}`, "raw": "3q2+7w==", "tags": `["x",null,"y z"]`, "ints": "[7,-8]", "flags": "[]"}, got)

	_, err = e.Extract(ctx, contract.ExtractInput{PipelineID: "odd", RunID: "r", Source: contract.SourceConfig{Connection: "pg", Table: "odd"}}, extract.Progress{}, nil)
	var v *contract.ValidationError
	require.ErrorAs(t, err, &v)
	assert.Contains(t, err.Error(), `column "span" is of PostgreSQL type interval`)
	assert.Contains(t, err.Error(), "span::text")
}
