package backfill

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestRecordHistories runs the workflow's paths against a real dev server and writes
// the histories the replay test checks. Run it after changing the workflow on
// purpose: MATIH_RECORD=1 go test ./backfill -run TestRecordHistories
func TestRecordHistories(t *testing.T) {
	if os.Getenv("MATIH_RECORD") == "" {
		t.Skip("set MATIH_RECORD=1 to record histories into testdata/")
	}
	srv := testkit.StartDevServer(t)
	c := srv.Client
	f := newFake()
	f.cost, f.commit = 20*time.Millisecond, 30*time.Millisecond
	f.failKeys["2026-01-03"], f.failKeys["2026-01-06"] = true, true
	w := worker.New(c, contract.PipelineQueue, worker.Options{MaxHeartbeatThrottleInterval: time.Second})
	Register(w)
	f.register(w)
	require.NoError(t, w.Start())
	defer w.Stop()
	ctx := context.Background()
	start := func(id string, cfg contract.BackfillConfig) client.WorkflowRun {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: contract.PipelineQueue}, contract.DataBackfillWorkflow, cfg)
		require.NoError(t, err)
		return run
	}

	cfg := config(40)
	cfg.MaxParallel, cfg.HistoryLimit, cfg.FailureBudget = 4, 100, 2
	run := start("continued", cfg)
	firstRun := run.GetRunID()
	_ = run.Get(ctx, nil)
	writeHistory(t, c, "continued", firstRun, "continued-first")
	writeHistory(t, c, "continued", "", "continued-last")

	f.mu.Lock()
	f.failKeys = map[string]bool{}
	f.cost = 100 * time.Millisecond
	f.mu.Unlock()
	cfg = config(30)
	cfg.MaxParallel, cfg.PartitionsPerTask = 2, 1
	run = start("pause-resume", cfg)
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, c.SignalWorkflow(ctx, "pause-resume", "", contract.SignalPause, contract.PauseSignal{RequestedBy: "ana", Reason: "source maintenance"}))
	time.Sleep(time.Second)
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: "pause-resume", UpdateName: contract.SignalResume,
		Args: []any{contract.PauseSignal{RequestedBy: "ana"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(t, err)
	require.NoError(t, h.Get(ctx, nil))
	_ = run.Get(ctx, nil)
	writeHistory(t, c, "pause-resume", "", "pause-resume")

	f.mu.Lock()
	f.failKeys["2026-01-03"], f.failKeys["2026-01-06"] = true, true
	f.cost = 20 * time.Millisecond
	f.mu.Unlock()
	cfg = config(10)
	cfg.MaxParallel, cfg.PartitionsPerTask, cfg.FailureBudget = 2, 1, 1
	_ = start("budget", cfg).Get(ctx, nil)
	writeHistory(t, c, "budget", "", "budget")

	f.mu.Lock()
	f.failKeys = map[string]bool{}
	f.cost = 200 * time.Millisecond
	f.mu.Unlock()
	cfg = config(30)
	cfg.MaxParallel, cfg.PartitionsPerTask = 2, 1
	run = start("cancel", cfg)
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, c.CancelWorkflow(ctx, "cancel", ""))
	_ = run.Get(ctx, nil)
	writeHistory(t, c, "cancel", "", "cancel")

	bad := config(10)
	bad.EndDate = "2025-01-01"
	_ = start("invalid-config", bad).Get(ctx, nil)
	writeHistory(t, c, "invalid-config", "", "invalid-config")
}

// currentSet is the fixture set of the current code, in testdata/ (see
// testkit.PinnedFixtures). A change to the workflow names a new set here, records
// it, deletes the old one and names the old one's build in the README.
const currentSet = "2026-12-06"

func writeHistory(t *testing.T, c client.Client, id, runID, name string) {
	testkit.WriteHistory(t, c, id, runID, testkit.RecordPath(t, "testdata", currentSet, name))
}
