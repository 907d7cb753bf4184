package partition

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	icetable "github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

// BenchmarkBackfillCommits loads daily partitions of a small source (3 rows
// each) through process_partition, in batches of 1 (a commit per partition, as before)
// and of 50, and reports the commits made, the snapshots and metadata file size at the
// end, and partitions/s over the first and the last 100 partitions: with a commit per
// batch and the backfill's snapshots expired as it goes, the last should be about as
// fast as the first. scripts/bench.sh backfill-commits runs it.
//
// MATIH_BENCH_COMMIT_DAYS sets the number of days (default 1,000; at least 20).
func BenchmarkBackfillCommits(b *testing.B) {
	days := testkit.EnvInt(b, "MATIH_BENCH_COMMIT_DAYS", 1000, 20)
	for _, size := range []int{1, 50} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchCommits(b, days, size)
			}
		})
	}
}

func benchCommits(b *testing.B, benchDays, batch int) {
	b.StopTimer()
	dir := b.TempDir()
	ctx := context.Background()
	src := filepath.Join(dir, "orders.db")
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(b, demo.CreateOrders(ctx, src, demo.OrdersSpec{Rows: 3 * benchDays, Days: benchDays, Seed: 7, Start: start}))
	cat, closeCat, err := lakehouse.Open(ctx, lakehouse.Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "wh")})
	require.NoError(b, err)
	defer closeCat()
	plan, err := plan.New(contract.BackfillConfig{StartDate: start.Format("2006-01-02"), EndDate: start.AddDate(0, 0, benchDays).Format("2006-01-02"), PartitionSize: contract.PartitionDay})
	require.NoError(b, err)
	store := stagingtest.StoreAt(b, filepath.Join(dir, "staging"))
	f := &fixture{t: b, plan: plan, proc: &Processor{
		Extractor: &extract.Extractor{Store: store, Connections: testkit.Connections(b, testkit.SQLiteConn("orders", src))},
		Writer:    &lakehouse.PartitionWriter{Catalog: cat, Store: store, MinSnapshotAge: -1}}}
	var firstTook, lastTook time.Duration
	b.StartTimer()
	for at := 0; at < benchDays; at += batch {
		var idx []int
		for i := at; i < min(at+batch, benchDays); i++ {
			idx = append(idx, i)
		}
		began := time.Now()
		out, err := f.run(f.batch(contract.ReprocessAll, idx...), nil)
		require.NoError(b, err)
		require.Len(b, out.Results, len(idx))
		took := time.Since(began)
		if at < benchDays/10 {
			firstTook += took
		}
		if at >= benchDays-benchDays/10 {
			lastTook += took
		}
	}
	b.StopTimer()
	tbl, err := cat.LoadTable(ctx, icetable.Identifier{"demo", "orders_daily"})
	require.NoError(b, err)
	fi, err := os.Stat(strings.TrimPrefix(tbl.MetadataLocation(), "file://"))
	require.NoError(b, err)
	tenth := float64(benchDays / 10)
	b.ReportMetric(float64((benchDays+batch-1)/batch), "commits")
	b.ReportMetric(float64(len(tbl.Metadata().Snapshots())), "snapshots")
	b.ReportMetric(float64(fi.Size())/1024, "metadata-KiB")
	b.ReportMetric(tenth/firstTook.Seconds(), "first10%-partitions/s")
	b.ReportMetric(tenth/lastTook.Seconds(), "last10%-partitions/s")
	b.ReportMetric(firstTook.Seconds()/lastTook.Seconds(), "last/first-speed")
}
