package notifications

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestEachDeliveryStartsAfterThePreviousOneHasStarted sends three notifications in
// one workflow task on a real dev server, and reads the history: no delivery is
// initiated before the server has started the one it waits for, so its ask can
// only be refused because that one has closed.
func TestEachDeliveryStartsAfterThePreviousOneHasStarted(t *testing.T) {
	srv := testkit.StartDevServer(t)
	const queue = "notifications-order-test"
	w := worker.New(srv.Client, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(threeNotifications, workflow.RegisterOptions{Name: "threeNotifications"})
	require.NoError(t, w.Start())
	defer w.Stop()

	ctx := context.Background()
	run, err := srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "three-notifications", TaskQueue: queue}, "threeNotifications")
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

	var order []string // "initiated <id>" and "started <id>", as the history has them
	it := srv.Client.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		if a := e.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
			order = append(order, "initiated "+a.GetWorkflowId())
		}
		if a := e.GetChildWorkflowExecutionStartedEventAttributes(); a != nil {
			order = append(order, "started "+a.GetWorkflowExecution().GetWorkflowId())
		}
	}
	id := func(n int) string { return contract.DeliveryWorkflowID(run.GetRunID(), n) }
	assert.Equal(t, []string{"initiated " + id(1), "started " + id(1), "initiated " + id(2), "started " + id(2), "initiated " + id(3), "started " + id(3)}, order)
	for n := 1; n <= 3; n++ {
		_ = srv.Client.TerminateWorkflow(ctx, id(n), "", "test over: no notify worker runs here")
	}
}
