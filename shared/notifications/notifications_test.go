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
func runCancelled(t *testing.T, version workflow.Version) bool {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(sendThenWait)
	deliveryCancelled := false
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, _ contract.NotificationRequest) (contract.NotificationResult, error) {
		err := workflow.Sleep(ctx, 10*time.Minute) // worker-notify is slow to deliver
		deliveryCancelled = temporal.IsCanceledError(err)
		return contract.NotificationResult{Delivered: []string{"test"}}, err
	}, workflow.RegisterOptions{Name: contract.NotificationDeliveryWorkflow})
	env.OnGetVersion(ChangeDetached, workflow.DefaultVersion, 1).Return(version)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(sendThenWait)
	require.True(t, env.IsWorkflowCompleted())
	return deliveryCancelled
}

// TestACancelledRunDoesNotCancelItsDeliveries: the delivery outlives the run's
// cancellation, from ChangeDetached on; before it, it was cancelled with the run.
func TestACancelledRunDoesNotCancelItsDeliveries(t *testing.T) {
	assert.False(t, runCancelled(t, 1), "the delivery goes on")
	assert.True(t, runCancelled(t, workflow.DefaultVersion), "runs before the change cancelled it")
}
