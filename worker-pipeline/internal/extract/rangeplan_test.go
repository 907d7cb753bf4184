package extract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

func TestCutPointsFollowTheHistogramOnlyWhenSkewed(t *testing.T) {
	// Uniform: ten buckets over 0..100, four equal ranges hold their share.
	uniform := []int64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	assert.False(t, isSkewed(equalCuts(0, 100, 4), uniform, 0, 101))
	// Nine tenths of the rows below 100 on a key up to 10,000: one equal range holds them all.
	skewed := []int64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 10000}
	assert.True(t, isSkewed(equalCuts(0, 10000, 4), skewed, 0, 10001))
	assert.Equal(t, []int64{20, 50, 70}, quantileCuts(skewed, 0, 10000, 4))
	// A histogram that repeats itself gives fewer, still increasing cuts.
	assert.Equal(t, []int64{5}, quantileCuts([]int64{0, 5, 5, 5, 5}, 0, 9, 4))
	// No histogram (never analyzed): equal widths.
	assert.False(t, isSkewed(equalCuts(0, 10000, 4), nil, 0, 10001))
}

func TestKeyLiteralsRoundTripTheirUnits(t *testing.T) {
	assert.Equal(t, "'2026-01-01 00:00:00.000001+00'::timestamptz", timestamptzKey.literal(1767225600000001))
	assert.Equal(t, "'2026-01-01 00:00:00'::timestamp", timestampKey.literal(1767225600000000))
	assert.Equal(t, "'2026-01-01'::date", dateKey.literal(20454))
	assert.Equal(t, "-7", intKey.literal(-7))
	assert.False(t, dateKey.inYears(3_000_000), "a date past 9999 is read as one stream")
}

// rangeRows counts the table's rows in each planned range, by the same predicates
// the readers use.
func rangeRows(t *testing.T, db *sql.DB, table string, plan rangePlan) []int {
	var out []int
	for _, r := range plan.ranges {
		var n int
		require.NoError(t, db.QueryRow(fmt.Sprintf("SELECT count(*) FROM %s WHERE %s >= %s AND %s < %s", table,
			plan.key, plan.kind.literal(r.Lo), plan.key, plan.kind.literal(r.Hi))).Scan(&n))
		out = append(out, n)
	}
	return out
}

// A key with nine tenths of its rows in a thousandth of its span is cut where the
// planner's histogram says, so that no connection reads most of the table.
func TestASkewedKeyIsCutAtThePlannersHistogram(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE skewed (id bigint PRIMARY KEY, v int);
		INSERT INTO skewed SELECT g, g FROM generate_series(1, 18000) g;
		INSERT INTO skewed SELECT g * 1000000, g FROM generate_series(1, 2000) g;
		CREATE TABLE even (id bigint PRIMARY KEY, v int);
		INSERT INTO even SELECT g, g FROM generate_series(1, 20000) g;
		ANALYZE skewed; ANALYZE even`)
	db, err := Open(context.Background(), testkit.PostgresConn("pg", dsn))
	require.NoError(t, err)
	defer db.Close()
	conn := connections.Connection{MaxParallel: 4}
	plan := func(table string) rangePlan {
		src := contract.SourceConfig{Kind: contract.SourcePostgres, Connection: "pg", Table: table, Parallelism: 4}
		q, _ := Query(src, "")
		cols, err := Probe(context.Background(), db, q)
		require.NoError(t, err)
		schema, _, err := pgSchema(cols)
		require.NoError(t, err)
		p, ok, err := planRanges(context.Background(), db, src, conn, `"id"`, schema)
		require.NoError(t, err)
		require.True(t, ok)
		return p
	}

	sk := plan("skewed")
	assert.True(t, sk.skewed, "cut from pg_stats")
	counts := rangeRows(t, db, "skewed", sk)
	t.Logf("skewed key: rows per range %v", counts)
	assert.Equal(t, 20000, sum(counts), "the ranges cover the table")
	for _, n := range counts {
		assert.Less(t, n, 2*20000/len(counts), "no range holds twice its share")
	}
	width := rangePlan{key: sk.key, kind: sk.kind}
	edges := append(append([]int64{sk.ranges[0].Lo}, equalCuts(sk.ranges[0].Lo, sk.ranges[len(sk.ranges)-1].Hi-1, 4)...), sk.ranges[len(sk.ranges)-1].Hi)
	for i := 0; i+1 < len(edges); i++ {
		width.ranges = append(width.ranges, RangeProgress{Lo: edges[i], Hi: edges[i+1]})
	}
	assert.GreaterOrEqual(t, rangeRows(t, db, "skewed", width)[0], 18000, "equal widths would have put 90% in one range")

	ev := plan("even")
	assert.False(t, ev.skewed, "an even key keeps equal widths")
	assert.Equal(t, []int{5000, 5000, 5000, 5000}, rangeRows(t, db, "even", ev))
}

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

// cutAndResume extracts in, cancels the first attempt once at least cut rows are
// in complete files, and resumes from its last heartbeat. It returns that resume
// point and the final result.
func cutAndResume(t *testing.T, e *Extractor, in contract.ExtractInput, cut int64) (Progress, contract.ExtractionResult) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var last Progress
	var mu sync.Mutex
	_, err := e.Extract(ctx, in, Progress{}, func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		last = p.clone()
		if p.Rows >= cut {
			cancel()
		}
	})
	cancel()
	require.Error(t, err, "the first attempt was cut")
	mu.Lock()
	resume := last
	mu.Unlock()
	res, err := e.Extract(context.Background(), in, resume, nil)
	require.NoError(t, err)
	return resume, res
}

// Timestamp, timestamptz and date keys split into ranges and resume after their
// last staged key, as integer keys do.
func TestTimeKeysSplitAndResumeByKey(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	e := &Extractor{Store: stagingtest.Store(t), Connections: testkit.Connections(t, testkit.PostgresConn("pg", dsn)), RowsPerFile: 1000, BatchRows: 250}
	for _, tc := range []struct{ table, typ, value string }{
		{"by_tz", "timestamptz", "timestamptz '2026-03-29 00:30:00+00' + g * interval '1 minute 7 microseconds'"},
		{"by_ts", "timestamp", "timestamp '1969-12-31 23:00:00' + g * interval '1 second'"},
		{"by_date", "date", "date '1990-01-01' + g"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			testkit.Psql(t, dsn, fmt.Sprintf(`CREATE TABLE %[1]s (at %[2]s PRIMARY KEY, id bigint NOT NULL);
				INSERT INTO %[1]s SELECT %[3]s, g FROM generate_series(1, 12000) g`, tc.table, tc.typ, tc.value))
			in := contract.ExtractInput{PipelineID: tc.table, RunID: "r", Source: contract.SourceConfig{Connection: "pg", Table: tc.table, Parallelism: 3}}
			resume, res := cutAndResume(t, e, in, 4000)
			require.Len(t, resume.Ranges, 3, "three ranges on the %s key", tc.typ)
			resumedAfter := 0
			for _, r := range resume.Ranges {
				if r.After != nil {
					resumedAfter++
				}
			}
			assert.Positive(t, resumedAfter, "ranges resume after a key")
			for _, f := range resume.Files {
				assert.Contains(t, res.Files, f, "the first attempt's files are kept")
			}
			keys := stagedKeys(t, e, res.Files)
			slices.Sort(keys)
			require.Equal(t, 12000, len(keys), "no row doubled or lost")
			for i, k := range keys {
				require.Equal(t, int64(i+1), k)
			}
		})
	}
}

// A split_column that is not unique cuts the table too; an unfinished range is read
// again from its start, finished ones are kept.
func TestASplitColumnThatIsNotUniqueRereadsOnlyUnfinishedRanges(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE events (tag text PRIMARY KEY, bucket int NOT NULL, id bigint NOT NULL);
		INSERT INTO events SELECT 't' || g, g % 40, g FROM generate_series(1, 16000) g`)
	e := &Extractor{Store: stagingtest.Store(t), Connections: testkit.Connections(t, testkit.PostgresConn("pg", dsn)), RowsPerFile: 500, BatchRows: 250}
	in := contract.ExtractInput{PipelineID: "split", RunID: "r", Source: contract.SourceConfig{Connection: "pg", Table: "events", Parallelism: 4, SplitColumn: "bucket"}}
	resume, res := cutAndResume(t, e, in, 6000)
	require.Len(t, resume.Ranges, 4)
	for _, r := range resume.Ranges {
		assert.Nil(t, r.After, "a key that is not unique is no resume point")
		if r.Done {
			for _, f := range r.Files {
				assert.Contains(t, res.Files, f, "a finished range is kept")
			}
		}
	}
	keys := stagedKeys(t, e, res.Files)
	slices.Sort(keys)
	require.Equal(t, 16000, len(keys), "no row doubled or lost")
	for i, k := range keys {
		require.Equal(t, int64(i+1), k)
	}
}

func TestASplitColumnThatCannotBeSplitIsRefusedByName(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE notes (id bigint PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'a'), (2, 'b')`)
	e := &Extractor{Store: stagingtest.Store(t), Connections: testkit.Connections(t, testkit.PostgresConn("pg", dsn))}
	for col, want := range map[string]string{
		"body":    `"body" is text; a split column is an integer, a timestamp or a date`,
		"missing": `"missing" is not one of the staged columns`,
	} {
		_, err := e.Extract(context.Background(), contract.ExtractInput{PipelineID: "n", RunID: "r",
			Source: contract.SourceConfig{Connection: "pg", Table: "notes", Parallelism: 2, SplitColumn: col}}, Progress{}, nil)
		var inv *contract.ValidationError
		require.True(t, errors.As(err, &inv), "a validation error: %v", err)
		assert.ErrorContains(t, err, "source.split_column")
		assert.ErrorContains(t, err, want)
	}
}
