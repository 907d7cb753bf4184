package extract

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

// benchPGTable is the 8 typed columns of the PostgreSQL benchmark table.
const benchPGTable = `CREATE TABLE bench_orders (
	id bigint PRIMARY KEY, customer int NOT NULL, region text, amount numeric(12,2), ratio double precision,
	paid boolean, placed timestamptz, day date);
INSERT INTO bench_orders SELECT g, g % 100000, CASE WHEN g % 3 = 0 THEN 'eu-west' ELSE 'us-east' END,
	(g % 10000) / 100.0, g / 7.0, g % 2 = 0, timestamptz '2026-01-01' + g * interval '1 second', date '2026-01-01' + (g % 365)
FROM generate_series(1, ROWS) g; ANALYZE bench_orders;`

// BenchmarkExtractPostgres reads one PostgreSQL table (MATIH_BENCH_PG_ROWS rows,
// default 1,000,000, 8 typed columns) three ways in one run and reports rows/s:
// the anchor, COPY (SELECT ...) TO STDOUT (FORMAT binary) read to nothing, the
// server's own limit; what a user would otherwise do, psql \copy to a CSV file;
// and extract_data to staged Parquet with parallelism 1, 2 and 4 (key ranges on
// their own connections), the best with its ratio to the anchor (target: at least
// 0.5) and to psql (target: above 1).
func BenchmarkExtractPostgres(b *testing.B) {
	rows := testkit.EnvInt(b, "MATIH_BENCH_PG_ROWS", 1_000_000, 1000)
	dsn := testkit.PostgresDB(b)
	testkit.Psql(b, dsn, strings.Replace(benchPGTable, "ROWS", strconv.Itoa(rows), 1))
	ctx := context.Background()
	copyBinary(b, ctx, dsn) // the table into the server's cache, for every reader alike
	for i := 0; i < b.N; i++ {
		anchor := rate(rows, func() { copyBinary(b, ctx, dsn) })
		csv := rate(rows, func() { psqlCSV(b, dsn) })
		reg := testkit.Connections(b, testkit.PostgresConn("pg", dsn))
		e := &Extractor{Store: stagingtest.Store(b), Connections: reg}
		var got int64
		best := 0.0
		for _, par := range []int{1, 2, 4} {
			r := rate(rows, func() {
				res, err := e.Extract(ctx, contract.ExtractInput{PipelineID: "bench", RunID: fmt.Sprintf("%d-p%d", i, par),
					Source: contract.SourceConfig{Connection: "pg", Table: "bench_orders", Parallelism: par}}, Progress{}, nil)
				require.NoError(b, err)
				got = res.Rows
			})
			require.Equal(b, int64(rows), got)
			b.ReportMetric(r, fmt.Sprintf("extract-p%d-rows/s", par))
			best = max(best, r)
		}
		extract := best
		require.Equal(b, int64(rows), got)
		// The anchor again, after: the better of the two, so noise favours it.
		anchor = max(anchor, rate(rows, func() { copyBinary(b, ctx, dsn) }))
		b.ReportMetric(anchor, "copy-binary-rows/s")
		b.ReportMetric(csv, "psql-csv-rows/s")
		b.ReportMetric(extract, "extract-rows/s")
		b.ReportMetric(extract/anchor, "extract/copy")
		b.ReportMetric(extract/csv, "extract/psql")
		_, peak := testkit.Resident(b, os.Getpid()) // the readers, the builders and the Parquet writer
		b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MiB")
	}
}

func rate(rows int, f func()) float64 {
	start := time.Now()
	f()
	return float64(rows) / time.Since(start).Seconds()
}

// copyBinary streams the table in COPY's binary format and drops it.
func copyBinary(b *testing.B, ctx context.Context, dsn string) {
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(b, err)
	defer conn.Close(ctx)
	_, err = conn.PgConn().CopyTo(ctx, io.Discard, "COPY (SELECT * FROM bench_orders ORDER BY id) TO STDOUT (FORMAT binary)")
	require.NoError(b, err)
}

// psqlCSV is psql's \copy of the table to a CSV file.
func psqlCSV(b *testing.B, dsn string) {
	out := filepath.Join(b.TempDir(), "orders.csv")
	cmd := exec.Command("psql", "-X", "-q", "-d", dsn, "-c", `\copy (SELECT * FROM bench_orders ORDER BY id) TO '`+out+`' WITH (FORMAT csv)`)
	msg, err := cmd.CombinedOutput()
	require.NoError(b, err, "%s", msg)
	_ = os.Remove(out)
}
