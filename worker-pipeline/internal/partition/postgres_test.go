package partition

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
)

// TestPostgresSourceWithTimestamps backfills hourly partitions of a timestamptz
// column from a real PostgreSQL database.
func TestPostgresSourceWithTimestamps(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local PostgreSQL")
	}
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, `CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, v double precision);
		INSERT INTO events SELECT g, timestamptz '2026-01-01 00:00:00+00' + g * interval '7 minutes', g / 10.0 FROM generate_series(0, 239) g;`)
	f := newFixture(t)
	f.proc.Extractor.Connections = testkit.Connections(t, testkit.PostgresConn("events", dsn))
	plan, err := plan.New(contract.BackfillConfig{StartDate: "2026-01-01T00:00:00Z", EndDate: "2026-01-01T06:00:00Z", PartitionSize: contract.PartitionHour})
	require.NoError(t, err)
	b := contract.PartitionBatch{BackfillID: "backfill-pg", PipelineID: "events", PartitionColumn: "at", Reprocess: contract.ReprocessAll,
		Source:      contract.SourceConfig{Connection: "events", Table: "events"},
		Destination: contract.DestinationConfig{Table: "demo.events_hourly"}, Partitions: plan.All()}
	for round := 0; round < 2; round++ {
		out, err := f.run(b, nil)
		require.NoError(t, err)
		require.Len(t, out.Results, 6)
		var total int64
		for _, r := range out.Results {
			require.Equal(t, contract.PartitionDone, r.Status, r.Error)
			n := testkit.Psql(t, dsn, "SELECT count(*) FROM events WHERE at >= '"+r.Partition.Start.Format("2006-01-02 15:04:05")+"+00' AND at < '"+r.Partition.End.Format("2006-01-02 15:04:05")+"+00'")
			assert.Equal(t, strings.TrimSpace(n), itoa(r.Rows), "partition %s", r.Partition.Key)
			total += r.Rows
		}
		assert.Equal(t, int64(52), total, "6 hours of events every 7 minutes")
		n, err := lakehouse.CountRows(context.Background(), f.proc.Writer.Catalog, "demo.events_hourly")
		require.NoError(t, err)
		assert.Equal(t, int64(52), n, "round %d: the rerun replaced, not appended", round)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
