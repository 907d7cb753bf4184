package integration

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestARunClosesWhileWorkerNotifyIsDown: the pipeline completes as soon as its own
// work is done, with nobody polling notify-workers, and its notification is
// delivered once worker-notify comes back.
func TestARunClosesWhileWorkerNotifyIsDown(t *testing.T) {
	s := newStackWithoutNotify(t, testkit.StartDevServer(t))
	s.startWorker(t, nil)
	db, want := s.source(t, 1000, 0)
	run := s.start(t, "pipeline-notify-down", cfgFor(db, "analytics.notify_down"))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var res contract.PipelineResult
	require.NoError(t, run.Get(ctx, &res), "the run closed without worker-notify")
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, want, s.tableRows(t, "analytics.notify_down"))

	delivery := run.GetRunID() + ".notify-1"
	d, err := s.srv.Client.DescribeWorkflowExecution(ctx, delivery, "")
	require.NoError(t, err, "the completion notification waits in its own workflow")
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus())
	assert.Equal(t, contract.NotificationDeliveryWorkflow, d.GetWorkflowExecutionInfo().GetType().GetName())
	assert.Zero(t, s.notified.count(contract.ActivityNotifyPipelineCompletion))

	s.notified.start(t, s.srv.Client) // worker-notify is back
	var delivered contract.NotificationResult
	require.NoError(t, s.srv.Client.GetWorkflow(ctx, delivery, "").Get(ctx, &delivered))
	assert.Equal(t, []string{"test"}, delivered.Delivered)
	s.notified.waitCount(t, contract.ActivityNotifyPipelineCompletion, 1, "delivered once")
}
