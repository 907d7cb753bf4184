package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/extract"
)

// TestWorkerKilledDuringLoad kills the worker with SIGKILL while load_to_iceberg
// runs, starts a new one, and checks the table holds the source's rows exactly once:
// the retried load either commits or finds its idempotency key.
func TestWorkerKilledDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a heartbeat timeout and a retry (about a minute)")
	}
	s := newStack(t)
	first := s.startWorker(t, nil, "--rows-per-file", "50000")
	// A million rows keep the load running for most of a second at 1.5M rows/s,
	// so the 20 ms poll below sees it in flight on a fast machine too.
	db, want := s.source(t, 1_000_000, 0)
	cfg := cfgFor(db, "analytics.crash")
	cfg.QualityChecks = nil
	run := s.start(t, "pipeline-crash", cfg)
	ctx := context.Background()

	require.Eventually(t, func() bool {
		d, err := s.srv.Client.DescribeWorkflowExecution(ctx, run.GetID(), "")
		if err != nil {
			return false
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetActivityType().GetName() == contract.ActivityLoadToIceberg && pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				return true
			}
		}
		return false
	}, 60*time.Second, 20*time.Millisecond, "load never started")
	first.Kill()
	t.Log("worker killed during load")

	s.startWorker(t, nil, "--rows-per-file", "50000")
	var res contract.PipelineResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, want, res.RowsProcessed)
	assert.Equal(t, want, s.tableRows(t, "analytics.crash"), "no duplicate and no missing rows")
}

// TestWorkerKilledDuringAParallelExtractResumesItsRanges kills the worker with
// SIGKILL while it reads a PostgreSQL table as two key ranges, after it has
// heartbeated complete files of each. Before another worker process takes the
// retry, the rows those files hold leave the source: a retry that read them again
// would miss them. The table still gets every row once, so the retry resumed each
// range after its last staged key.
func TestWorkerKilledDuringAParallelExtractResumesItsRanges(t *testing.T) {
	if testing.Short() {
		t.Skip("6M rows, a heartbeat timeout and a retry (about a minute and a half)")
	}
	dsn := testkit.PostgresDB(t)
	// Heartbeats reach the server at most every 2 s: the table is large enough that
	// the second one finds both ranges part way on a fast machine too.
	const rows = 6_000_000
	pgSource(t, dsn, "big_orders", rows, false)
	s := newStackOn(t, testkit.StartDevServer(t), testkit.PostgresConn("crash-pg", dsn))
	first := s.startWorker(t, nil, "--rows-per-file", "20000")
	cfg := cfgFor("crash-pg", "analytics.pgcrash")
	cfg.Source.Table, cfg.Source.Parallelism, cfg.QualityChecks = "big_orders", 2, nil
	run := s.start(t, "pipeline-pgcrash", cfg)

	var staged extract.Progress
	require.Eventually(t, func() bool {
		p, ok := extractProgress(t, s.srv.Client, run.GetID())
		if !ok || len(p.Ranges) != 2 {
			return false
		}
		for _, r := range p.Ranges {
			if r.After == nil || r.Done {
				return false
			}
		}
		staged = p
		return true
	}, 2*time.Minute, 20*time.Millisecond, "never saw both ranges part way")
	first.Kill()
	t.Logf("worker killed with %d of %d rows in complete files", staged.Rows, rows)
	require.Less(t, staged.Rows, int64(rows))

	for _, r := range staged.Ranges {
		testkit.Psql(t, dsn, fmt.Sprintf("DELETE FROM big_orders WHERE order_id >= %d AND order_id <= %d", r.Lo, *r.After))
	}
	s.startWorker(t, nil, "--rows-per-file", "20000")
	var res contract.PipelineResult
	require.NoError(t, run.Get(context.Background(), &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, int64(rows), res.RowsProcessed, "the retry read only what the ranges had not staged")
	assert.Equal(t, int64(rows), s.tableRows(t, "analytics.pgcrash"), "no duplicate and no missing rows")
}

// extractProgress is the last heartbeat of the run's pending extract_data, as the
// server holds it.
func extractProgress(t *testing.T, c client.Client, id string) (extract.Progress, bool) {
	d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		return extract.Progress{}, false
	}
	for _, pa := range d.GetPendingActivities() {
		if pa.GetActivityType().GetName() != contract.ActivityExtractData || pa.GetHeartbeatDetails() == nil {
			continue
		}
		var p extract.Progress
		if err := converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &p); err == nil {
			return p, true
		}
	}
	return extract.Progress{}, false
}
