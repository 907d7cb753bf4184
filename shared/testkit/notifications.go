package testkit

import (
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
)

// RegisterNotificationDelivery registers a stand-in for worker-notify's
// NotificationDeliveryWorkflow, for tests whose notify activities are fakes: it
// runs the notify activity the request names, as the real one does.
func RegisterNotificationDelivery(reg interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	reg.RegisterWorkflowWithOptions(deliverNotification, workflow.RegisterOptions{Name: contract.NotificationDeliveryWorkflow})
}

func deliverNotification(ctx workflow.Context, req contract.NotificationRequest) (contract.NotificationResult, error) {
	if err := req.Validate(); err != nil {
		return contract.NotificationResult{}, err
	}
	var res contract.NotificationResult
	err := workflow.ExecuteActivity(retry.WithActivityOptions(ctx, req.Activity), req.Activity, req.Payload).Get(ctx, &res)
	return res, err
}
