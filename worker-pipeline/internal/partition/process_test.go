package partition

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	icetable "github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

const table = "demo.orders_daily"

// fixture is a real SQLite source of 10 days x 50 orders and a real Iceberg catalog.
type fixture struct {
	t       testing.TB
	src     string
	proc    *Processor
	plan    plan.Plan
	staging string // the staging store's folder
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	src := filepath.Join(dir, "orders.db")
	require.NoError(t, demo.CreateOrders(context.Background(), src, demo.OrdersSpec{Rows: 500, Days: 10, Seed: 5,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}))
	cat, closeCat, err := lakehouse.Open(context.Background(), lakehouse.Config{URI: filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "wh")})
	require.NoError(t, err)
	t.Cleanup(closeCat)
	pl, err := plan.New(contract.BackfillConfig{StartDate: "2026-01-01", EndDate: "2026-01-11", PartitionSize: contract.PartitionDay})
	require.NoError(t, err)
	store := stagingtest.StoreAt(t, filepath.Join(dir, "staging"))
	return &fixture{t: t, src: src, plan: pl, staging: filepath.Join(dir, "staging"), proc: &Processor{
		Extractor: &extract.Extractor{Store: store, Connections: testkit.Connections(t, testkit.SQLiteConn("orders", src))},
		Writer:    &lakehouse.PartitionWriter{Catalog: cat, Store: store}}}
}

func (f *fixture) batch(mode string, idx ...int) contract.PartitionBatch {
	b := contract.PartitionBatch{BackfillID: "backfill-test", PipelineID: "orders", PartitionColumn: "order_date", Reprocess: mode,
		Source:      contract.SourceConfig{Connection: "orders", Table: "orders"},
		Destination: contract.DestinationConfig{Table: table}}
	for _, i := range idx {
		b.Partitions = append(b.Partitions, f.plan.At(i))
	}
	return b
}

func (f *fixture) run(b contract.PartitionBatch, heartbeat *contract.BatchResult) (contract.BatchResult, error) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(f.proc.ProcessPartition, activity.RegisterOptions{Name: contract.ActivityProcessPartition})
	if heartbeat != nil {
		env.SetHeartbeatDetails(*heartbeat)
	}
	v, err := env.ExecuteActivity(contract.ActivityProcessPartition, b)
	if err != nil {
		return contract.BatchResult{}, err
	}
	var out contract.BatchResult
	require.NoError(f.t, v.Get(&out))
	return out, nil
}

func (f *fixture) sourceRows(i int) int64 {
	db, err := sql.Open("sqlite", "file:"+f.src+"?mode=ro")
	require.NoError(f.t, err)
	defer db.Close()
	p := f.plan.At(i)
	var n int64
	require.NoError(f.t, db.QueryRow(`SELECT count(*) FROM orders WHERE order_date >= ? AND order_date < ?`,
		p.Start.Format("2006-01-02"), p.End.Format("2006-01-02")).Scan(&n))
	return n
}

func (f *fixture) tableRows(i int) int64 {
	p := f.plan.At(i)
	n, err := lakehouse.CountRowsIn(context.Background(), f.proc.Writer.Catalog, table, "order_date", p.Start, p.End)
	require.NoError(f.t, err)
	return n
}

func (f *fixture) total() int64 {
	n, err := lakehouse.CountRows(context.Background(), f.proc.Writer.Catalog, table)
	require.NoError(f.t, err)
	return n
}

func (f *fixture) exec(sql string) {
	db, err := openRW(f.src)
	require.NoError(f.t, err)
	defer db.Close()
	_, err = db.Exec(sql)
	require.NoError(f.t, err)
}

func openRW(path string) (*sql.DB, error) { return sql.Open("sqlite", "file:"+path) }

func TestOverwriteReplacesExactlyThePartition(t *testing.T) {
	f := newFixture(t)
	out, err := f.run(f.batch(contract.ReprocessAll, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), nil)
	require.NoError(t, err)
	require.Len(t, out.Results, 10)
	for i, r := range out.Results {
		assert.Equal(t, contract.PartitionDone, r.Status)
		assert.Equal(t, f.sourceRows(i), r.Rows, "partition %d", i)
		assert.Equal(t, 1, r.Attempts)
		assert.Positive(t, r.Duration.D())
	}
	assert.Equal(t, int64(500), f.total())
	var left []string
	require.NoError(t, filepath.WalkDir(f.staging, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return err
	}))
	assert.Empty(t, left, "every partition's staging is deleted once it is committed")

	// Rerun two partitions after the source changed: only they change, nothing doubles.
	f.exec(`DELETE FROM orders WHERE order_date = '2026-01-04' AND order_id % 2 = 0`)
	out, err = f.run(f.batch(contract.ReprocessAll, 3, 4), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(25), out.Results[0].Rows)
	for i := 0; i < 10; i++ {
		assert.Equal(t, f.sourceRows(i), f.tableRows(i), "partition %d equals its source", i)
	}
	assert.Equal(t, int64(475), f.total())

	// A partition whose source is now empty is emptied in the table.
	f.exec(`DELETE FROM orders WHERE order_date = '2026-01-06'`)
	_, err = f.run(f.batch(contract.ReprocessAll, 5), nil)
	require.NoError(t, err)
	assert.Zero(t, f.tableRows(5))
	assert.Equal(t, int64(425), f.total())
}

func TestRetriedBatchSkipsPartitionsInHeartbeat(t *testing.T) {
	f := newFixture(t)
	first, err := f.run(f.batch(contract.ReprocessAll, 0, 1), nil)
	require.NoError(t, err)
	// A retry of the batch 0..3 whose heartbeat says 0 and 1 are done.
	out, err := f.run(f.batch(contract.ReprocessAll, 0, 1, 2, 3), &first)
	require.NoError(t, err)
	require.Len(t, out.Results, 4)
	assert.Equal(t, first.Results, out.Results[:2], "done partitions are reported, not redone")
	rec, err := f.proc.Writer.State(context.Background(), table)
	require.NoError(t, err)
	assert.Len(t, rec.Loaded, 4, "one commit per partition: 0 and 1 were not overwritten again")
	assert.Equal(t, int64(200), f.total())
}

func TestReprocessMissingAndFailed(t *testing.T) {
	f := newFixture(t)
	_, err := f.run(f.batch(contract.ReprocessAll, 0, 1, 2), nil)
	require.NoError(t, err)

	// A bad value in day 8 fails that partition for good; the others load.
	f.exec(`UPDATE orders SET amount = 'oops' WHERE order_id = (SELECT min(order_id) FROM orders WHERE order_date = '2026-01-08')`)
	out, err := f.run(f.batch(contract.ReprocessMissing, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), nil)
	require.NoError(t, err)
	status := map[string]int{}
	for _, r := range out.Results {
		status[r.Status]++
	}
	assert.Equal(t, map[string]int{contract.PartitionSkipped: 3, contract.PartitionDone: 6, contract.PartitionFailed: 1}, status)
	assert.Equal(t, contract.PartitionFailed, out.Results[7].Status)
	assert.Contains(t, out.Results[7].Error, `"amount"`)
	assert.Zero(t, f.tableRows(7))

	// Fixed at the source, `failed` reruns exactly the failed partition.
	f.exec(`UPDATE orders SET amount = 1.5 WHERE typeof(amount) = 'text'`)
	out, err = f.run(f.batch(contract.ReprocessFailed, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), nil)
	require.NoError(t, err)
	for i, r := range out.Results {
		want := contract.PartitionSkipped
		if i == 7 {
			want = contract.PartitionDone
		}
		assert.Equal(t, want, r.Status, "partition %d", i)
	}
	assert.Equal(t, int64(500), f.total())
	rec, err := f.proc.Writer.State(context.Background(), table)
	require.NoError(t, err)
	assert.Empty(t, rec.Failed, "the marker is cleared by the successful overwrite")
}

func TestBadBatchIsAValidationError(t *testing.T) {
	f := newFixture(t)
	b := f.batch(contract.ReprocessAll, 0)
	b.PartitionColumn = "no_such_column"
	_, err := f.run(b, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid partition_column")

	hourly, err := plan.New(contract.BackfillConfig{StartDate: "2026-01-01", EndDate: "2026-01-02", PartitionSize: contract.PartitionHour})
	require.NoError(t, err)
	b = f.batch(contract.ReprocessAll)
	b.Partitions = []contract.Partition{hourly.At(3)}
	out, err := f.run(b, nil)
	require.NoError(t, err)
	assert.Equal(t, contract.PartitionFailed, out.Results[0].Status, "hour partitions of a DATE column fail for good")
	assert.Contains(t, out.Results[0].Error, "day, week or month")
}

func (f *fixture) snapshots() []icetable.Snapshot {
	tbl, err := f.proc.Writer.Catalog.LoadTable(context.Background(), icetable.Identifier{"demo", "orders_daily"})
	require.NoError(f.t, err)
	return tbl.Metadata().Snapshots()
}

func TestABatchCommitsAsOneSnapshot(t *testing.T) {
	f := newFixture(t)
	out, err := f.run(f.batch(contract.ReprocessAll, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), nil)
	require.NoError(t, err)
	require.Len(t, out.Results, 10)
	snaps := f.snapshots()
	require.Len(t, snaps, 1, "ten partitions, one commit")
	assert.Contains(t, snaps[0].Summary.Properties[lakehouse.PropPartitionSpans], `"spans":[{"start":1767225600,"width":86400,"rows":[`,
		"ten consecutive days are one span")

	// A retry after that commit landed is recognised and commits nothing.
	again, ok := f.proc.alreadyCommitted(context.Background(), f.batch(contract.ReprocessAll), f.batch(contract.ReprocessAll, 2, 3).Partitions, 2)
	require.True(t, ok)
	assert.Equal(t, out.Results[2].Rows, again[0].Rows)
	assert.Len(t, f.snapshots(), 1)
}

// The attempt that committed may have been killed before it removed its staging: the
// retry that recognises the commit removes it.
func TestARetryOfACommittedBatchRemovesItsStaging(t *testing.T) {
	f := newFixture(t)
	b := f.batch(contract.ReprocessAll, 2, 3)
	_, err := f.run(b, nil)
	require.NoError(t, err)
	left := filepath.Join(f.staging, extract.RunPrefix(extractInput(b, b.Partitions[1])), "part-00000.parquet")
	require.NoError(t, os.MkdirAll(filepath.Dir(left), 0o755))
	require.NoError(t, os.WriteFile(left, []byte("left by a killed attempt"), 0o644))
	_, ok := f.proc.alreadyCommitted(context.Background(), b, b.Partitions, 2)
	require.True(t, ok)
	assert.NoFileExists(t, left)
}

// A long backfill expires its own superseded snapshots as it goes, never a tagged
// one, and what it loaded stays known through the table's coverage.
func TestSnapshotsStayBoundedAndCoverageOutlivesThem(t *testing.T) {
	f := newFixture(t)
	f.proc.Writer.MinSnapshotAge = -1
	_, err := f.run(f.batch(contract.ReprocessAll, 0), nil)
	require.NoError(t, err)
	tagged := f.snapshots()[0].SnapshotID
	ident := icetable.Identifier{"demo", "orders_daily"}
	tbl, err := f.proc.Writer.Catalog.LoadTable(context.Background(), ident)
	require.NoError(t, err)
	_, _, err = f.proc.Writer.Catalog.CommitTable(context.Background(), ident, nil,
		[]icetable.Update{icetable.NewSetSnapshotRefUpdate("migration-backup", tagged, icetable.TagRef, 0, 0, 0)})
	require.NoError(t, err)
	_ = tbl
	for i := 1; i < 10; i++ {
		_, err := f.run(f.batch(contract.ReprocessAll, i), nil)
		require.NoError(t, err)
	}
	snaps := f.snapshots()
	assert.LessOrEqual(t, len(snaps), 6, "the tagged one, four superseded, the current one")
	ids := map[int64]bool{}
	for _, s := range snaps {
		ids[s.SnapshotID] = true
	}
	assert.True(t, ids[tagged], "a tagged snapshot is never expired")
	assert.Equal(t, int64(500), f.total())

	out, err := f.run(f.batch(contract.ReprocessMissing, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), nil)
	require.NoError(t, err)
	for i, r := range out.Results {
		assert.Equal(t, contract.PartitionSkipped, r.Status, "partition %d is known loaded though its snapshot expired", i)
	}
}
