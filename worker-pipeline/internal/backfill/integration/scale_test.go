package integration

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
)

// scaleDays is the partition count of the scale test: 10,000 daily partitions.
const scaleDays = 10_000

// TestTenThousandPartitions backfills 10,000 daily partitions (about 27 years, two
// orders a day) through the worker binary. Every order lands exactly once, checked by
// key, and the table's snapshots and metadata stay small however many batches commit.
func TestTenThousandPartitions(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 partitions")
	}
	s := newStack(t)
	s.startWorker(t)
	src := s.source(t, scaleDays, 2)
	cfg := backfillConfig(src, "demo.orders_scale")
	cfg.EndDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, scaleDays).Format("2006-01-02")
	cfg.MaxParallel = 4 // partitions_per_task is auto: batches grow until their commit is worth it

	started := time.Now()
	res := s.run(t, "backfill-scale", cfg)
	took := time.Since(started)
	require.Equal(t, contract.StatusCompleted, res.Status, "%+v", res.FailedPartitions)
	assert.Equal(t, scaleDays, res.PartitionsProcessed)
	assert.Equal(t, int64(2*scaleDays), res.TotalRows)

	tbl, unique, dups := s.keys(t, "demo", "orders_scale")
	assert.Equal(t, 2*scaleDays, unique, "every source order is in the table")
	assert.Zero(t, dups, "no order twice")

	snaps := len(tbl.Metadata().Snapshots())
	// Kept: the current snapshot, the last 4 superseded, and those younger than 10 s,
	// which a reader may still be planning on. How many are that young depends on
	// this machine's commit rate, so only the older ones are counted: at most the
	// 4 kept, and as many again for an expiry that lost a race with a commit.
	cutoff := tbl.CurrentSnapshot().TimestampMs - (lakehouse.DefaultMinSnapshotAge + 5*time.Second).Milliseconds()
	old := 0
	for _, sn := range tbl.Metadata().Snapshots() {
		if sn.TimestampMs < cutoff {
			old++
		}
	}
	assert.LessOrEqual(t, old, 8, "the backfill's superseded snapshots were expired as it went (%d snapshots in all)", snaps)
	meta := metadataSize(t, tbl)
	assert.Less(t, meta, int64(128<<10), "the metadata file stays small")
	assert.LessOrEqual(t, res.LongestHistory, 4096)
	t.Logf("10,000 partitions in %s (%.0f partitions/s) over %d runs; longest history %d events; %d snapshots (%d over 15 s older than the current), metadata %d KiB",
		took.Round(time.Second), float64(scaleDays)/took.Seconds(), res.Runs, res.LongestHistory, snaps, old, meta>>10)
}

// keys reads the table's order ids: how many distinct, and how many seen twice.
func (s *stack) keys(t testing.TB, ns, name string) (*table.Table, int, int) {
	ctx := context.Background()
	cat, closeCat, err := lakehouse.Open(ctx, lakehouse.Config{URI: s.catalog, Warehouse: s.warehouse})
	require.NoError(t, err)
	defer closeCat()
	tbl, err := cat.LoadTable(ctx, table.Identifier{ns, name})
	require.NoError(t, err)
	_, batches, err := tbl.Scan(table.WithSelectedFields("order_id")).ToArrowRecords(ctx)
	require.NoError(t, err)
	seen := map[int64]bool{}
	dups := 0
	for rec, err := range batches {
		require.NoError(t, err)
		col := rec.Column(0).(*array.Int64)
		for i := 0; i < col.Len(); i++ {
			if seen[col.Value(i)] {
				dups++
			}
			seen[col.Value(i)] = true
		}
		rec.Release()
	}
	return tbl, len(seen), dups
}

// metadataSize is the size of the table's current metadata file.
func metadataSize(t testing.TB, tbl *table.Table) int64 {
	fi, err := os.Stat(strings.TrimPrefix(tbl.MetadataLocation(), "file://"))
	require.NoError(t, err)
	return fi.Size()
}
