package metrics

import "go.temporal.io/sdk/client"

// The SDK tags the metrics recorded from workflow and activity code with its six
// root labels (worker_type stays "none" there), the task queue, and the workflow or
// activity type. Series created here carry the same ones, so for workflows they are
// the very series later counts go to.
const (
	tagNamespace    = "namespace"
	tagClient       = "client_name"
	tagWorkerType   = "worker_type"
	tagWorkflowType = "workflow_type"
	tagActivityType = "activity_type"
	tagTaskQueue    = "task_queue"
	sdkClient       = "temporal_go" // the SDK's client_name
	sdkNone         = "none"
	tagOperation    = "operation"
	tagStatusCode   = "status_code"

	sdkActivityWorker  = "ActivityWorker"
	sdkScheduleToStart = "temporal_activity_schedule_to_start_latency"
	sdkRequestFailure  = "temporal_request_failure"
)

// Preinit creates the seed's six series at zero for every workflow and activity
// type a worker registers, so alerts and dashboards on matih_workflow_failed or
// matih_activity_retries see a series from the start, not only after the first
// failure. Activity series carry workflow_type="none": the workflow that will call
// an activity is not known until it does.
func Preinit(h client.MetricsHandler, namespace, taskQueue string, workflows, activities []string) {
	for _, wt := range workflows {
		m := h.WithTags(map[string]string{tagNamespace: namespace, tagClient: sdkClient, tagWorkerType: sdkNone,
			tagWorkflowType: wt, tagActivityType: sdkNone, tagTaskQueue: taskQueue})
		m.Counter(WorkflowStarted)
		m.Counter(WorkflowCompleted)
		m.Counter(WorkflowFailed)
		m.Timer(WorkflowDuration)
	}
	for _, at := range activities {
		m := h.WithTags(map[string]string{tagNamespace: namespace, tagClient: sdkClient, tagWorkerType: sdkNone,
			tagWorkflowType: sdkNone, tagActivityType: at, tagTaskQueue: taskQueue})
		m.Counter(ActivityRetries)
		m.Timer(ActivityExecution)
		// The SDK records this one from the activity poller, with its worker type.
		h.WithTags(map[string]string{tagNamespace: namespace, tagClient: sdkClient, tagWorkerType: sdkActivityWorker,
			tagWorkflowType: sdkNone, tagActivityType: at, tagTaskQueue: taskQueue}).Timer(sdkScheduleToStart)
	}
	// The SDK counts failed requests with the request's operation and gRPC code; a
	// zero series with neither lets alerts on the rate see the name from the start.
	h.WithTags(map[string]string{tagNamespace: namespace, tagClient: sdkClient, tagWorkerType: sdkNone, tagWorkflowType: sdkNone,
		tagActivityType: sdkNone, tagTaskQueue: taskQueue, tagOperation: sdkNone, tagStatusCode: sdkNone}).Counter(sdkRequestFailure)
}
