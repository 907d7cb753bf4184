package extract

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

func TestPlainTimesParseAsTimeParseDoes(t *testing.T) {
	for _, s := range []string{"2024-03-01", "2024-02-29", "1999-12-31 23:59:59", "2024-03-01T00:00:00", "0001-01-01"} {
		got, ok := parsePlain(s)
		require.True(t, ok, s)
		layout := "2006-01-02"
		if len(s) == 19 {
			layout = "2006-01-02 15:04:05"
			if s[10] == 'T' {
				layout = "2006-01-02T15:04:05"
			}
		}
		want, err := time.Parse(layout, s)
		require.NoError(t, err)
		assert.True(t, want.Equal(got), "%s: %v, time.Parse gives %v", s, got, want)
	}
	for _, s := range []string{"2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-01 24:00:00",
		"2024-01-01 10:60:00", "2024-01-0a", "2024/01/01", "2024-01-01 10:00:00Z", "2024-01-01 10:00"} {
		_, ok := parsePlain(s)
		assert.False(t, ok, "%s is left to time.Parse", s)
	}
}

// TestSQLiteTimesAreExtractedAsStored stores dates and timestamps in the text forms
// SQLite tools and Go programs leave behind, and as unix seconds, and checks each
// staged value.
func TestSQLiteTimesAreExtractedAsStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "times.db")
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, day DATE, at TIMESTAMP, seen DATETIME)`)
	require.NoError(t, err)
	want := time.Date(2024, 3, 1, 10, 20, 30, 0, time.UTC)
	rows := []struct{ day, at any }{
		{"2024-03-01", "2024-03-01 10:20:30"},
		{"2024-03-01", "2024-03-01T10:20:30Z"},
		{"2024-03-01", "2024-03-01 12:20:30+02:00"},
		{"2024-03-01", "2024-03-01 12:20:30 +0200 EET"},
		{"2024-03-01", "2024-03-01 10:20:30 +0000 UTC m=+0.000000001"},
		{"2024-03-01", want.Unix()},
		{nil, nil},
	}
	for i, r := range rows {
		_, err := db.Exec(`INSERT INTO events VALUES (?, ?, ?, ?)`, i+1, r.day, r.at, r.at)
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())

	e := &Extractor{Store: stagingtest.Store(t), Connections: testkit.Connections(t, testkit.SQLiteConn("events", path))}
	res, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "events", RunID: "r1",
		Source: contract.SourceConfig{Connection: "events", Table: "events"}}, Progress{}, nil)
	require.NoError(t, err)
	r, err := e.Store.NewReader(context.Background(), res.Files)
	require.NoError(t, err)
	defer r.Release()
	require.True(t, r.Next())
	rec := r.RecordBatch()
	require.Equal(t, int64(len(rows)), rec.NumRows())
	day, at, seen := rec.Column(1).(*array.Date32), rec.Column(2).(*array.Timestamp), rec.Column(3).(*array.Timestamp)
	for i := 0; i < len(rows)-1; i++ {
		assert.Equal(t, arrow.Date32FromTime(want), day.Value(i), "row %d day", i+1)
		assert.Equal(t, arrow.Timestamp(want.UnixMicro()), at.Value(i), "row %d at (%v)", i+1, rows[i].at)
		assert.Equal(t, at.Value(i), seen.Value(i), "row %d: DATETIME as TIMESTAMP", i+1)
	}
	last := len(rows) - 1
	assert.True(t, day.IsNull(last) && at.IsNull(last) && seen.IsNull(last), "NULL stays NULL")
}

func TestTextTimesLeavesRepeatedNamesAlone(t *testing.T) {
	ts := arrow.Field{Name: "at", Type: timestampType, Nullable: true}
	repeated := arrow.NewSchema([]arrow.Field{ts, ts}, nil)
	assert.Equal(t, "SELECT a.at, b.at FROM t a, t b", textTimes(contract.SourceSQLite, "SELECT a.at, b.at FROM t a, t b", repeated))
	one := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, ts}, nil)
	assert.Equal(t, `SELECT "id", +"at" AS "at" FROM (SELECT * FROM t) AS src`, textTimes(contract.SourceSQLite, "SELECT * FROM t", one))
	assert.Equal(t, "SELECT * FROM t", textTimes(contract.SourcePostgres, "SELECT * FROM t", one), "pgx returns time.Time already")
}
