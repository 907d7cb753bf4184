package notifications

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

// sendThenWait sends one notification, waits until its delivery started, then
// waits to be cancelled, as a pipeline waiting for approval does.
func sendThenWait(ctx workflow.Context) error {
	var s Sender
	s.Send(ctx, contract.ActivityNotifyQualityIssue, map[string]any{"workflow_id": "w"})
	s.Started(ctx)
	return workflow.Sleep(ctx, time.Hour)
}

// runCancelled runs sendThenWait, cancels it while its delivery is still going,
// and tells whether the delivery saw a cancellation.
func runCancelled(t *testing.T) bool {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(sendThenWait)
	deliveryCancelled := false
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, _ contract.NotificationRequest) (contract.NotificationResult, error) {
		err := workflow.Sleep(ctx, 10*time.Minute) // worker-notify is slow to deliver
		deliveryCancelled = temporal.IsCanceledError(err)
		return contract.NotificationResult{Delivered: []string{"test"}}, err
	}, workflow.RegisterOptions{Name: contract.NotificationDeliveryWorkflow})
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(sendThenWait)
	require.True(t, env.IsWorkflowCompleted())
	return deliveryCancelled
}

// TestACancelledRunDoesNotCancelItsDeliveries: the delivery outlives the run's
// cancellation.
func TestACancelledRunDoesNotCancelItsDeliveries(t *testing.T) {
	assert.False(t, runCancelled(t), "the delivery goes on")
}

// threeNotifications sends three notifications in one workflow task.
func threeNotifications(ctx workflow.Context) error {
	var s Sender
	for _, a := range []string{contract.ActivityNotifyQualityIssue, contract.ActivityNotifyFailure, contract.ActivityNotifyPipelineCompletion} {
		s.Send(ctx, a, map[string]any{"workflow_id": "w"})
	}
	s.Started(ctx)
	return nil
}

// TestEachDeliveryNamesThePreviousOne: the first of a run's notifications waits for
// nothing, each later one for the delivery before it.
func TestEachDeliveryNamesThePreviousOne(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(threeNotifications, workflow.RegisterOptions{Name: "threeNotifications"})
	got := map[string]string{} // delivery id: the one it waits for
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, req contract.NotificationRequest) (contract.NotificationResult, error) {
		got[workflow.GetInfo(ctx).WorkflowExecution.ID] = req.After
		return contract.NotificationResult{}, nil
	}, workflow.RegisterOptions{Name: contract.NotificationDeliveryWorkflow})
	env.ExecuteWorkflow("threeNotifications")
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, got, 3)
	var run string
	for id, after := range got {
		if after == "" {
			run = id[:len(id)-len(".notify-1")]
		}
	}
	require.NotEmpty(t, run, "one delivery waits for nothing: %v", got)
	assert.Equal(t, map[string]string{run + ".notify-1": "", run + ".notify-2": run + ".notify-1", run + ".notify-3": run + ".notify-2"}, got)
}
