package data_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/data"
)

// pipelineConfig reads the demo's orders with two checks: the dirty ones (a quarter
// without an amount) score 0.5 and wait for a human; the clean ones complete.
func pipelineConfig(id string, dirty bool) contract.PipelineConfig {
	conn := testkit.DemoClean
	if dirty {
		conn = testkit.DemoDirty
	}
	return contract.PipelineConfig{PipelineID: id, MinQualityScore: 0.9, ApprovalTimeout: contract.Duration(time.Hour),
		Source: contract.SourceConfig{Connection: conn, Table: "orders"},
		QualityChecks: []contract.QualityCheck{{Type: contract.CheckNotNull, Columns: []string{"amount"}},
			{Type: contract.CheckUnique, Columns: []string{"order_id"}}},
		Destination: contract.DestinationConfig{Table: "analytics." + id}}
}

// TestTemporalSourceAgainstDevServer covers the real data access the console uses:
// visibility paging and counts, the status document, the long poll, every action.
func TestTemporalSourceAgainstDevServer(t *testing.T) {
	srv := testkit.StartDevServer(t)
	testkit.StartPipelineWorker(t, srv)
	ctx := context.Background()
	src := &data.Temporal{Client: srv.Client, Namespace: srv.Namespace, Address: srv.HostPort, Identity: "ops@test"}

	// Five runs waiting for approval and two that complete on their own.
	base := time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)
	var waiting []string
	for i := 0; i < 7; i++ {
		id, err := src.Start(ctx, data.StartRequest{WorkflowID: contract.PipelineWorkflowID(fmt.Sprintf("p%d", i), base.Add(time.Duration(i)*time.Second)),
			WorkflowType: contract.DataPipelineWorkflow, TaskQueue: contract.PipelineQueue, Input: pipelineConfig(fmt.Sprintf("p%d", i), i < 5)})
		require.NoError(t, err)
		if i < 5 {
			waiting = append(waiting, id)
		}
	}
	_, err := src.Start(ctx, data.StartRequest{WorkflowID: waiting[0], WorkflowType: contract.DataPipelineWorkflow, TaskQueue: contract.PipelineQueue, Input: pipelineConfig("p0", true)})
	assert.ErrorIs(t, err, data.ErrRefused, "same id twice")

	awaiting := data.Tabs[1].Query
	require.Eventually(t, func() bool {
		n, err := src.Count(ctx, awaiting)
		c, err2 := src.Count(ctx, data.Tabs[3].Query)
		return err == nil && err2 == nil && n == 5 && c == 2
	}, 20*time.Second, 200*time.Millisecond, "visibility shows 5 awaiting and 2 completed")
	failed, err := src.Count(ctx, data.Tabs[2].Query)
	require.NoError(t, err, "the failed/cancelled tab's query is one the server accepts")
	assert.Zero(t, failed)

	// Paging by token: 5 rows in pages of 2.
	var rows []data.Row
	var token []byte
	for pages := 0; ; pages++ {
		p, err := src.List(ctx, awaiting, 2, token)
		require.NoError(t, err)
		rows = append(rows, p.Rows...)
		if token = p.NextToken; token == nil {
			assert.Equal(t, 2, pages, "three pages")
			break
		}
	}
	require.Len(t, rows, 5)
	for _, r := range rows {
		assert.Equal(t, contract.PhaseAwaitingApproval, r.Phase)
		require.NotNil(t, r.Progress)
		doc, err := src.Status(ctx, r.WorkflowID, "")
		require.NoError(t, err)
		assert.Equal(t, doc.Progress, *r.Progress, "the list shows the progress the workflow reports")
		assert.Greater(t, *r.Progress, 0.0)
		require.NotNil(t, r.QualityScore)
		assert.Equal(t, 0.5, *r.QualityScore)
	}
	_, err = src.List(ctx, "NoSuchField = 'x'", 10, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, data.ErrUnreachable, "a malformed query is not a connection problem")

	// Live follow: the long poll returns once the approval moves the run on.
	doc, err := src.Status(ctx, waiting[0], "")
	require.NoError(t, err)
	changed := make(chan error, 1)
	go func() { changed <- src.WaitChange(ctx, waiting[0], doc.RunID, doc.HistoryLength) }()
	require.NoError(t, src.Approve(ctx, waiting[0], contract.ApprovalSignal{Approved: true, Approver: "ops@test", Reason: "fine"}))
	select {
	case err := <-changed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not return after the approval")
	}
	err = src.Approve(ctx, waiting[0], contract.ApprovalSignal{Approved: false, Approver: "ops@test", Reason: "late"})
	assert.ErrorIs(t, err, data.ErrRefused)

	// One update id is one decision: the same request delivered twice (a Slack
	// submission replayed to a second matih serve) gets the first one's outcome;
	// another request is a second decision, refused.
	once := data.WithUpdateID(ctx, "slack-V0SAME")
	sig := contract.ApprovalSignal{Approved: true, Approver: "ana@matih (slack U0ANA)", Reason: "checked"}
	require.NoError(t, src.Approve(once, waiting[4], sig))
	assert.NoError(t, src.Approve(once, waiting[4], sig), "the same request again is the same update")
	assert.ErrorIs(t, src.Approve(ctx, waiting[4], sig), data.ErrRefused)

	err = src.Approve(ctx, waiting[1], contract.ApprovalSignal{Approved: true, Reason: "no approver"})
	assert.ErrorIs(t, err, data.ErrRefused)
	assert.Contains(t, err.Error(), "approver is required")

	require.NoError(t, src.Cancel(ctx, waiting[2], contract.CancelSignal{RequestedBy: "ops@test", Reason: "bad input"}))
	require.NoError(t, src.Terminate(ctx, waiting[3], "stuck"))
	require.Eventually(t, func() bool {
		a, _ := src.Status(ctx, waiting[0], "")
		c, _ := src.Status(ctx, waiting[2], "")
		return a.Status == status.WorkflowCompleted && c.Status != status.WorkflowRunning
	}, 10*time.Second, 100*time.Millisecond)
	term, err := src.Status(ctx, waiting[3], "")
	require.NoError(t, err)
	assert.Equal(t, status.WorkflowTerminated, term.Status)
	assert.Equal(t, "terminated: stuck (by ops@test)", term.Failure)

	_, err = src.Status(ctx, "nope", "")
	assert.ErrorIs(t, err, data.ErrNotFound)
	assert.ErrorIs(t, src.Terminate(ctx, "nope", "x"), data.ErrNotFound)

	// A delivery waiting on the notify queue, which nobody polls here: it lives in
	// the deliveries' namespace division, and the queue counts it with the runs'
	// own alerts, as visibility does.
	_, err = srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "delivery-stuck", TaskQueue: contract.NotifyQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword("TemporalNamespaceDivision").ValueSet(contract.DeliveryNamespaceDivision))},
		contract.NotificationDeliveryWorkflow)
	require.NoError(t, err)
	openDeliveries := fmt.Sprintf("TemporalNamespaceDivision = '%s' AND TaskQueue = '%s' AND ExecutionStatus = 'Running'", contract.DeliveryNamespaceDivision, contract.NotifyQueue)
	var running, counted int64
	require.Eventually(t, func() bool {
		qs, err := src.Queues(ctx)
		require.NoError(t, err)
		c, err := srv.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: srv.Namespace, Query: openDeliveries})
		require.NoError(t, err)
		for _, q := range qs {
			if q.Name == contract.NotifyQueue {
				running, counted = q.Running, c.GetCount()
			}
		}
		return counted >= 1 && running == counted
	}, 20*time.Second, 200*time.Millisecond, "the notify queue counts the open deliveries: %d of %d", running, counted)

	qs, err := src.Queues(ctx)
	require.NoError(t, err)
	require.Len(t, qs, 3)
	assert.Equal(t, contract.PipelineQueue, qs[0].Name)
	assert.NotEmpty(t, qs[0].ActivityPollers)
	assert.Empty(t, qs[1].WorkflowPollers)
}

func TestClassifyUnreachable(t *testing.T) {
	err := data.Classify(context.DeadlineExceeded)
	assert.True(t, errors.Is(err, data.ErrUnreachable))
}
