package metrics

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// The seed's six metrics under their Prometheus names. The SDK already owns
// temporal_workflow_completed and friends, so ours carry the matih_ prefix.
const (
	WorkflowStarted   = "matih_workflow_started"   // seed: temporal.workflow.started
	WorkflowCompleted = "matih_workflow_completed" // seed: temporal.workflow.completed
	WorkflowFailed    = "matih_workflow_failed"    // seed: temporal.workflow.failed
	WorkflowDuration  = "matih_workflow_duration"  // seed: temporal.workflow.duration
	ActivityExecution = "matih_activity_execution" // seed: temporal.activity.execution
	ActivityRetries   = "matih_activity_retries"   // seed: temporal.activity.retries
)

// NewInterceptor returns a worker interceptor that records the seed's metrics. It
// records through the SDK's replay-aware metrics handler, so replays count nothing.
func NewInterceptor() interceptor.WorkerInterceptor { return &workerInterceptor{} }

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (w *workerInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	i := &workflowInbound{}
	i.Next = next
	return i
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &activityInbound{}
	i.Next = next
	return i
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (i *workflowInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	info := workflow.GetInfo(ctx)
	m := workflow.GetMetricsHandler(ctx) // tagged with namespace, task_queue, workflow_type
	if info.ContinuedExecutionRunID == "" {
		m.Counter(WorkflowStarted).Inc(1)
	}
	res, err := i.Next.ExecuteWorkflow(ctx, in)
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		return res, err // the chain goes on; it neither completed nor failed
	}
	m.Timer(WorkflowDuration).Record(workflow.Now(ctx).Sub(info.WorkflowStartTime))
	if err != nil {
		m.Counter(WorkflowFailed).Inc(1)
	} else {
		m.Counter(WorkflowCompleted).Inc(1)
	}
	return res, err
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (i *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	info := activity.GetInfo(ctx)
	m := activity.GetMetricsHandler(ctx) // tagged with namespace, task_queue, activity_type
	if info.Attempt > 1 {
		m.Counter(ActivityRetries).Inc(1)
	}
	start := time.Now()
	res, err := i.Next.ExecuteActivity(ctx, in)
	m.Timer(ActivityExecution).Record(time.Since(start))
	return res, err
}
