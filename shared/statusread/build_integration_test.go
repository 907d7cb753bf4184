package statusread_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/statusread"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

// countWords fails its first attempt (a transient error a retry fixes) and then counts
// the words of its input, so the timeline shows a retry with its last failure.
func countWords(ctx context.Context, text string) (int, error) {
	if activity.GetInfo(ctx).Attempt == 1 {
		return 0, errors.New("source briefly unavailable")
	}
	return len(strings.Fields(text)), nil
}

// gateWorkflow mimics the pipeline contract: it upserts its phase, runs one step, then
// waits for the `approval` signal while answering the `status` query.
func gateWorkflow(ctx workflow.Context, text string) (int, error) {
	doc := status.Document{Phase: contract.PhaseExtracting, CurrentActivity: "count_words", Progress: 0.1, PendingSignals: []string{}}
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (status.Document, error) { return doc, nil }); err != nil {
		return 0, err
	}
	phase := temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelinePhase)
	progress := temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrProgress)
	_ = workflow.UpsertTypedSearchAttributes(ctx, phase.ValueSet(contract.PhaseExtracting), progress.ValueSet(0.1))
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 50 * time.Millisecond, MaximumAttempts: 3}})
	var n int
	if err := workflow.ExecuteActivity(ctx, "count_words", text).Get(ctx, &n); err != nil {
		return 0, err
	}
	doc.Phase, doc.CurrentActivity, doc.Progress, doc.PendingSignals = contract.PhaseAwaitingApproval, "", 0.5, []string{contract.SignalApproval}
	doc.Approval = &status.Approval{Deadline: workflow.Now(ctx).Add(time.Hour), MinScore: 0.9}
	_ = workflow.UpsertTypedSearchAttributes(ctx, phase.ValueSet(contract.PhaseAwaitingApproval), progress.ValueSet(0.5))
	var sig contract.ApprovalSignal
	workflow.GetSignalChannel(ctx, contract.SignalApproval).Receive(ctx, &sig)
	return n, nil
}

func TestBuildWithAndWithoutAWorker(t *testing.T) {
	srv := testkit.StartDevServer(t)
	w := worker.New(srv.Client, "status-test", worker.Options{})
	w.RegisterWorkflowWithOptions(gateWorkflow, workflow.RegisterOptions{Name: "GateWorkflow"})
	w.RegisterActivityWithOptions(countWords, activity.RegisterOptions{Name: "count_words"})
	require.NoError(t, w.Start())
	ctx := context.Background()
	run, err := srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "gate-1", TaskQueue: "status-test"}, "GateWorkflow", "three small words")
	require.NoError(t, err)

	var doc status.Document
	require.Eventually(t, func() bool {
		// The query may answer a step ahead of the history read just before it: wait
		// until both have seen the activity complete.
		doc, err = statusread.Build(ctx, srv.Client, "gate-1", "")
		return err == nil && doc.Phase == contract.PhaseAwaitingApproval &&
			len(doc.Activities) == 1 && doc.Activities[0].Status == status.ActivityCompleted
	}, 15*time.Second, 100*time.Millisecond)
	assert.Equal(t, status.SourceQuery, doc.ProgressSource)
	assert.Equal(t, run.GetRunID(), doc.RunID)
	assert.Equal(t, "GateWorkflow", doc.WorkflowType)
	assert.Equal(t, 0.9, doc.Approval.MinScore)
	require.Len(t, doc.Activities, 1)
	act := doc.Activities[0]
	assert.Equal(t, status.Activity{Name: "count_words", Status: status.ActivityCompleted, Attempts: 2,
		LastFailure: "source briefly unavailable", StartedAt: act.StartedAt, Duration: act.Duration}, act)
	assert.Equal(t, 1, doc.Retries)

	// Every worker gone: the document still comes back, from history and search attributes.
	w.Stop()
	start := time.Now()
	doc, err = statusread.BuildWith(ctx, srv.Client, "gate-1", "", statusread.Options{QueryTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, status.SourceHistory, doc.ProgressSource)
	assert.Equal(t, contract.PhaseAwaitingApproval, doc.Phase)
	assert.Equal(t, 0.5, doc.Progress)
	assert.Equal(t, []string{contract.SignalApproval}, doc.PendingSignals)
	assert.Equal(t, status.WorkflowRunning, doc.Status)

	// A decision sent while no worker runs shows at once, from history.
	require.NoError(t, srv.Client.SignalWorkflow(ctx, "gate-1", "", contract.SignalApproval,
		contract.ApprovalSignal{Approved: true, Approver: "ana@bastion", Reason: "checked by hand"}))
	doc, err = statusread.BuildWith(ctx, srv.Client, "gate-1", "", statusread.Options{QueryTimeout: -1})
	require.NoError(t, err)
	require.NotNil(t, doc.Approval)
	assert.True(t, doc.Approval.Decided)
	assert.Equal(t, "ana@bastion", doc.Approval.Approver)
	assert.Empty(t, doc.PendingSignals)

	_, err = statusread.Build(ctx, srv.Client, "no-such-workflow", "")
	require.Error(t, err)

	// A queue no worker ever polled: the query is not even tried, so not even a long
	// query timeout is waited out.
	_, err = srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "orphan-1", TaskQueue: "nobody-polls"}, "GateWorkflow", "x")
	require.NoError(t, err)
	start = time.Now()
	doc, err = statusread.BuildWith(ctx, srv.Client, "orphan-1", "", statusread.Options{QueryTimeout: 30 * time.Second})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 10*time.Second, "the 30 s query was skipped")
	assert.Equal(t, status.SourceHistory, doc.ProgressSource)
	assert.Equal(t, status.WorkflowRunning, doc.Status)
}
