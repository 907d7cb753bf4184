// Package delivery holds NotificationDeliveryWorkflow: one notification, delivered
// by the notify activity it names, for a run that may already have closed.
package delivery

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
)

// Register adds the workflow under its wire name. It is AutoUpgrade: a delivery
// waiting for the notify worker moves to whichever build is current when it runs,
// so a rollout of worker-notify never waits for deliveries to drain.
func Register(reg interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	reg.RegisterWorkflowWithOptions(NotificationDeliveryWorkflow, workflow.RegisterOptions{
		Name: contract.NotificationDeliveryWorkflow, VersioningBehavior: workflow.VersioningBehaviorAutoUpgrade})
}

// NotificationDeliveryWorkflow runs the request's notify activity with its retry
// policy and returns what it delivered. The activity's own heartbeats keep a retry
// from sending a channel twice. It first waits for the run's previous delivery
// (req.After), and before it closes tells the next one it may go: a run's
// notifications arrive in the order it sent them, however long one is retried.
func NotificationDeliveryWorkflow(ctx workflow.Context, req contract.NotificationRequest) (contract.NotificationResult, error) {
	if err := req.Validate(); err != nil {
		return contract.NotificationResult{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeValidation, err)
	}
	ordered := workflow.GetVersion(ctx, ChangeOrdered, workflow.DefaultVersion, 1) == 1
	if ordered && req.After != "" {
		awaitPrevious(ctx, req.After)
	}
	var res contract.NotificationResult
	actx := retry.WithActivityOptions(ctx, req.Activity)
	err := workflow.ExecuteActivity(actx, req.Activity, req.Payload).Get(ctx, &res)
	if ordered {
		releaseWaiters(ctx)
	}
	return res, err
}
