package pipeline

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

// TestRecordHistories runs every path of the workflow against a real dev server and
// writes the histories the replay test checks. Run it after changing the workflow on
// purpose: MATIH_RECORD=1 go test ./pipeline -run TestRecordHistories
func TestRecordHistories(t *testing.T) {
	if os.Getenv("MATIH_RECORD") == "" {
		t.Skip("set MATIH_RECORD=1 to record histories into testdata/")
	}
	srv := testkit.StartDevServer(t)
	c := srv.Client
	f := newFakes(0.97)
	for _, q := range []string{contract.PipelineQueue, contract.NotifyQueue} {
		w := worker.New(c, q, worker.Options{MaxHeartbeatThrottleInterval: time.Second})
		Register(w)
		f.register(w)
		require.NoError(t, w.Start())
		defer w.Stop()
	}
	ctx := context.Background()
	start := func(id string, cfg contract.PipelineConfig) client.WorkflowRun {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: contract.PipelineQueue}, contract.DataPipelineWorkflow, cfg)
		require.NoError(t, err)
		return run
	}
	waitPhase := func(id, phase string) {
		require.Eventually(t, func() bool {
			v, err := c.QueryWorkflow(ctx, id, "", contract.QueryProgress)
			if err != nil {
				return false
			}
			var p float64
			_ = v.Get(&p)
			d, err := c.DescribeWorkflowExecution(ctx, id, "")
			return err == nil && string(d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[contract.SearchAttrPipelinePhase].GetData()) == `"`+phase+`"`
		}, 20*time.Second, 100*time.Millisecond)
	}
	lowQuality := func() contract.PipelineConfig { f.score = 0.5; return config() }

	f.score = 0.97
	_ = start("happy", config()).Get(ctx, nil)

	run := start("approved", lowQuality())
	waitPhase("approved", contract.PhaseAwaitingApproval)
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: "approved", UpdateName: contract.UpdateApproval,
		Args: []any{contract.ApprovalSignal{Approved: true, Approver: "ana", Reason: "ok"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(t, err)
	require.NoError(t, h.Get(ctx, nil))
	_ = run.Get(ctx, nil)

	run = start("rejected", lowQuality())
	waitPhase("rejected", contract.PhaseAwaitingApproval)
	require.NoError(t, c.SignalWorkflow(ctx, "rejected", "", contract.SignalApproval, contract.ApprovalSignal{Approver: "bo", Reason: "no"}))
	require.NoError(t, c.SignalWorkflow(ctx, "rejected", "", contract.SignalApproval, contract.ApprovalSignal{Approved: true, Approver: "late", Reason: "dup"}))
	_ = run.Get(ctx, nil)

	cfg := lowQuality()
	cfg.ApprovalTimeout = contract.Duration(2 * time.Second)
	_ = start("timeout", cfg).Get(ctx, nil)

	cfg = lowQuality()
	cfg.Approvers, cfg.FourEyes, cfg.StartedBy = []string{"ana@matih", "bo@matih"}, true, "bo@matih"
	run = start("authority", cfg)
	waitPhase("authority", contract.PhaseAwaitingApproval)
	require.NoError(t, c.SignalWorkflow(ctx, "authority", "", contract.SignalApproval, contract.ApprovalSignal{Approved: true, Approver: "bo@matih", Reason: "mine"}))
	h, err = c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: "authority", UpdateName: contract.UpdateApproval,
		Args: []any{contract.ApprovalSignal{Approved: true, Approver: "ana@matih", Reason: "checked"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(t, err)
	require.NoError(t, h.Get(ctx, nil))
	_ = run.Get(ctx, nil)

	f.score = 0.97
	f.onTransform = func(actx context.Context) error {
		_ = c.SignalWorkflow(ctx, "cancel-signal", "", contract.SignalCancel, contract.CancelSignal{RequestedBy: "oncall", Reason: "wrong day"})
		return waitCancelled(actx)
	}
	_ = start("cancel-signal", config()).Get(ctx, nil)
	f.onTransform = func(actx context.Context) error {
		_ = c.CancelWorkflow(ctx, "cancel-temporal", "")
		return waitCancelled(actx)
	}
	_ = start("cancel-temporal", config()).Get(ctx, nil)
	f.onTransform = nil

	f.extractErr = errPermanent
	_ = start("activity-failure", config()).Get(ctx, nil)
	f.extractErr = nil

	bad := config()
	bad.MinQualityScore = 2
	_ = start("invalid-config", bad).Get(ctx, nil)

	for _, id := range []string{"happy", "approved", "rejected", "timeout", "authority", "cancel-signal", "cancel-temporal", "activity-failure", "invalid-config"} {
		writeHistory(t, c, id)
	}
}

// currentSet is the fixture set of the current code, in testdata/ (see
// testkit.PinnedFixtures). A change to the workflow names a new set here, records
// it, deletes the old one and names the old one's build in the README.
const currentSet = "2026-12-06-authority"

func writeHistory(t *testing.T, c client.Client, id string) {
	testkit.WriteHistory(t, c, id, "", testkit.RecordPath(t, "testdata", currentSet, id))
}
