package statusread_test

import (
	"context"
	"testing"
	"time"

	"github.com/matih/ops/shared/statusread"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

// The cached path reads history backwards from the newest event and long-polls from
// where it stopped; its document must stay the one a full read gives, event for event.
func TestCachedBuildAndFollowMatchAFullRead(t *testing.T) {
	srv := testkit.StartDevServer(t)
	ctx := context.Background()
	run, err := srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "cached-1", TaskQueue: "nobody-polls"}, "GateWorkflow", "x")
	require.NoError(t, err)
	cache := statusread.NewCache(0, nil)
	opts := statusread.Options{QueryTimeout: -1, Cache: cache, Namespace: srv.Namespace}
	full := statusread.Options{QueryTimeout: -1}
	same := func(step string) status.Document {
		t.Helper()
		got, err := statusread.BuildWith(ctx, srv.Client, "cached-1", "", opts)
		require.NoError(t, err)
		want, err := statusread.BuildWith(ctx, srv.Client, "cached-1", "", full)
		require.NoError(t, err)
		assert.Equal(t, want, got, step)
		return got
	}
	first := same("first read")
	for i := 0; i < 40; i++ { // more than one reverse page
		require.NoError(t, srv.Client.SignalWorkflow(ctx, "cached-1", "", "noise", i))
	}
	doc := same("after 40 signals")
	assert.Equal(t, first.HistoryLength+40, doc.HistoryLength)

	// Follow: WaitChange returns on the next event and folds it, so the next build
	// needs no history read.
	done := make(chan error, 1)
	go func() {
		done <- cache.WaitChange(ctx, srv.Client, srv.Namespace, "cached-1", run.GetRunID(), int64(doc.HistoryLength))
	}()
	select {
	case err := <-done:
		t.Fatalf("WaitChange returned before any change: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, srv.Client.SignalWorkflow(ctx, "cached-1", "", contract.SignalApproval,
		contract.ApprovalSignal{Approved: true, Approver: "ana@bastion"}))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("WaitChange did not see the signal")
	}
	doc = same("after the followed signal")
	assert.Equal(t, first.HistoryLength+41, doc.HistoryLength)

	require.NoError(t, srv.Client.TerminateWorkflow(ctx, "cached-1", "", "test over"))
	doc = same("closed")
	assert.Equal(t, status.WorkflowTerminated, doc.Status)
	require.NoError(t, cache.WaitChange(ctx, srv.Client, srv.Namespace, "cached-1", run.GetRunID(), int64(doc.HistoryLength)),
		"a closed run's follow ends at once")
	assert.Equal(t, 1, cache.Len())
}
