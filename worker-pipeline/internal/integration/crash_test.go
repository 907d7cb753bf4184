package integration

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/matih/ops/shared/contract"
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
