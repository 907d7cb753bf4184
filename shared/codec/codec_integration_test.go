package codec_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/testkit"
)

// heartbeats reports what it works on until it is cancelled.
func heartbeats(ctx context.Context, row string) (string, error) {
	for {
		activity.RecordHeartbeat(ctx, "working on "+row)
		select {
		case <-ctx.Done():
			return "", context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// cancelsTwo cancels one activity that runs and one that never starts (its queue
// has no worker), then returns what the signal it waited for said.
func cancelsTwo(ctx workflow.Context, row string) (string, error) {
	actx, cancel := workflow.WithCancel(ctx)
	actx = workflow.WithActivityOptions(actx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, HeartbeatTimeout: 5 * time.Second,
		WaitForCancellation: true, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	running := workflow.ExecuteActivity(actx, "heartbeats", row)
	never := workflow.ExecuteActivity(workflow.WithTaskQueue(actx, "nobody-polls"), "heartbeats", row)
	var said string
	workflow.GetSignalChannel(ctx, "say").Receive(ctx, &said)
	cancel()
	_, _ = running.Get(ctx, nil), never.Get(ctx, nil)
	return said + " " + row, nil
}

// TestEveryPayloadOfARunIsEncrypted: input, heartbeats, a signal, cancellations and
// the result of a run on a worker with the codec on reach history encrypted; the
// only plain payload is the one the server writes itself for an activity cancelled
// before it started.
func TestEveryPayloadOfARunIsEncrypted(t *testing.T) {
	testkit.CodecKeys(t)
	srv := testkit.StartDevServer(t)
	w := worker.New(srv.Client, "codec-test", worker.Options{})
	w.RegisterWorkflowWithOptions(cancelsTwo, workflow.RegisterOptions{Name: "cancelsTwo"})
	w.RegisterActivityWithOptions(heartbeats, activity.RegisterOptions{Name: "heartbeats"})
	require.NoError(t, w.Start())
	defer w.Stop()
	ctx := context.Background()
	run, err := srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "codec-test"}, "cancelsTwo", "order_id=4")
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond) // a heartbeat or more
	require.NoError(t, srv.Client.SignalWorkflow(ctx, run.GetID(), "", "say", "approved by ana"))
	var out string
	require.NoError(t, run.Get(ctx, &out))
	assert.Equal(t, "approved by ana order_id=4", out, "the test's own client decrypts")

	it := srv.Client.GetWorkflowHistory(ctx, run.GetID(), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	events := 0
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events++
		assert.Empty(t, testkit.PlainPayloads(e), "event %d %s", e.GetEventId(), e.GetEventType())
	}
	assert.Greater(t, events, 10)
}
