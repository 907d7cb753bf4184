package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

func backfillConfig(_, table string) contract.BackfillConfig {
	return contract.BackfillConfig{
		PipelineID:      "orders",
		Source:          contract.SourceConfig{Connection: sourceConn, Table: "orders"},
		PartitionColumn: "order_date",
		StartDate:       "2026-01-01",
		EndDate:         "2026-03-02",
		PartitionSize:   contract.PartitionDay,
		Destination:     contract.DestinationConfig{Table: table},
		MaxParallel:     4,
	}
}

func (s *stack) run(t *testing.T, id string, cfg contract.BackfillConfig) contract.BackfillResult {
	ctx := context.Background()
	run, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: contract.PipelineQueue,
		WorkflowExecutionTimeout: 10 * time.Minute}, contract.DataBackfillWorkflow, cfg)
	require.NoError(t, err)
	var res contract.BackfillResult
	require.NoError(t, run.Get(ctx, &res))
	return res
}

// checkPartitions compares every partition of the table with the source.
func (s *stack) checkPartitions(t *testing.T, src, table string, cfg contract.BackfillConfig) int64 {
	parts, err := plan.Generate(cfg)
	require.NoError(t, err)
	var total int64
	for _, p := range parts {
		want := sourceRows(t, src, p.Start, p.End)
		assert.Equal(t, want, s.tableRows(t, table, p.Start, p.End), "partition %s", p.Key)
		total += want
	}
	return total
}

// runs lists every run of a workflow id with its history length.
func (s *stack) runs(t testing.TB, id string) map[string]int64 {
	resp, err := s.srv.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.srv.Namespace, Query: fmt.Sprintf("WorkflowId = '%s'", id)})
	require.NoError(t, err)
	out := map[string]int64{}
	for _, e := range resp.GetExecutions() {
		out[e.GetExecution().GetRunId()] = e.GetHistoryLength()
	}
	return out
}

// TestSixtyDailyPartitions backfills 60 days through the worker binary: each
// partition of the Iceberg table equals its source; rerunning 5 of them changes no
// total; a small history limit makes it continue as new, no run over the limit.
// One partition per task keeps the history's growth independent of the machine's
// pace: auto-sized batches on a fast machine fit 60 days in one run.
func TestSixtyDailyPartitions(t *testing.T) {
	s := newStack(t)
	s.startWorker(t)
	src := s.source(t, 60, 100)
	cfg := backfillConfig(src, "demo.orders_daily")
	cfg.HistoryLimit = 100
	cfg.PartitionsPerTask = 1

	res := s.run(t, "backfill-sixty", cfg)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, 60, res.PartitionsProcessed)
	assert.Equal(t, int64(6000), res.TotalRows)
	assert.Empty(t, res.FailedPartitions)
	assert.Equal(t, int64(6000), s.checkPartitions(t, src, "demo.orders_daily", cfg))

	runs := s.runs(t, "backfill-sixty")
	assert.Greater(t, len(runs), 1, "the 100-event limit made it continue as new")
	assert.Equal(t, len(runs), res.Runs)
	for run, n := range runs {
		assert.LessOrEqual(t, n, int64(cfg.HistoryLimit), "run %s", run)
	}
	t.Logf("60 partitions in %s over %d runs, longest history %d events", res.Elapsed, res.Runs, res.LongestHistory)

	ctx := context.Background()
	v, err := s.srv.Client.QueryWorkflow(ctx, "backfill-sixty", "", contract.QueryStatus)
	require.NoError(t, err)
	var doc status.BackfillDocument
	require.NoError(t, v.Get(&doc))
	require.NotNil(t, doc.Partitions)
	assert.Equal(t, 60, doc.Partitions.Done)
	assert.Equal(t, []contract.PartitionRange{{From: 0, To: 60, Rows: 6000, Attempts: 60}}, doc.Partitions.Ranges.Done)
	desc, err := s.srv.Client.DescribeWorkflowExecution(ctx, "backfill-sixty", "")
	require.NoError(t, err)
	assert.Equal(t, "1", string(desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[contract.SearchAttrProgress].GetData()))

	rerun := backfillConfig(src, "demo.orders_daily")
	rerun.OnlyPartitions = []string{"2026-01-01", "2026-01-15", "2026-02-01", "2026-02-14", "2026-03-01"}
	res = s.run(t, "backfill-rerun", rerun)
	assert.Equal(t, 5, res.PartitionsProcessed)
	assert.Equal(t, int64(500), res.TotalRows)
	assert.Equal(t, int64(6000), s.checkPartitions(t, src, "demo.orders_daily", cfg), "the rerun changed no total")

	missing := backfillConfig(src, "demo.orders_daily")
	missing.Reprocess = contract.ReprocessMissing
	res = s.run(t, "backfill-missing", missing)
	assert.Equal(t, 60, res.PartitionsSkipped, "every partition is already loaded")
	assert.Zero(t, res.PartitionsProcessed)
}

// TestWorkerKilledMidBackfill kills the worker with SIGKILL while partitions are
// in flight, starts another, and checks the backfill finishes with every partition
// equal to its source: retried batches overwrite, they never append twice.
func TestWorkerKilledMidBackfill(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a heartbeat timeout and a retry (about a minute)")
	}
	s := newStack(t)
	first := s.startWorker(t)
	src := s.source(t, 60, 3000)
	cfg := backfillConfig(src, "demo.orders_crash")
	// Auto-sized batches could take every partition left in one task, and progress
	// would jump to 1 with nothing in flight to kill: two per task keep a window.
	cfg.PartitionsPerTask = 2
	ctx := context.Background()
	run, err := s.srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "backfill-crash", TaskQueue: contract.PipelineQueue,
		WorkflowExecutionTimeout: 10 * time.Minute}, contract.DataBackfillWorkflow, cfg)
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		v, err := s.srv.Client.QueryWorkflow(ctx, run.GetID(), "", contract.QueryProgress)
		var p float64
		if err != nil || v.Get(&p) != nil || p < 0.2 || p > 0.8 {
			return false
		}
		d, err := s.srv.Client.DescribeWorkflowExecution(ctx, run.GetID(), "")
		if err != nil {
			return false
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				return true
			}
		}
		return false
	}, 2*time.Minute, 20*time.Millisecond, "backfill never got a fifth of the way with work in flight")
	first.Kill()
	t.Log("worker killed mid-backfill")

	s.startWorker(t)
	var res contract.BackfillResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, 60, res.PartitionsProcessed)
	assert.Equal(t, int64(180_000), res.TotalRows)
	assert.Equal(t, int64(180_000), s.checkPartitions(t, src, "demo.orders_crash", cfg), "no duplicate and no missing rows")
	v, err := s.srv.Client.QueryWorkflow(ctx, run.GetID(), "", contract.QueryStatus)
	require.NoError(t, err)
	var doc status.BackfillDocument
	require.NoError(t, v.Get(&doc))
	attempts := 0
	for _, r := range doc.Partitions.Ranges.Done {
		attempts += r.Attempts
	}
	assert.Greater(t, attempts, 60, "the partitions in flight at the kill were retried")
	assert.Positive(t, doc.Partitions.PartitionsPerSecond)
	assert.Positive(t, doc.Partitions.RowsPerSecond)
	upserts := s.upserts(t, run.GetID())
	assert.LessOrEqual(t, upserts, int(res.Elapsed.D()/(5*time.Second))+4, "Progress at most every 5 s, plus phase changes")
	t.Logf("finished in %s; %d attempts for 60 partitions; %d search attribute upserts", res.Elapsed, attempts, upserts)
}

// upserts counts the search attribute upserts in a workflow's latest run.
func (s *stack) upserts(t *testing.T, id string) int {
	it := s.srv.Client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		if e.GetEventType() == enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES {
			n++
		}
	}
	return n
}
