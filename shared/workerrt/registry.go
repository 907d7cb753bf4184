package workerrt

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// recordingRegistry remembers the names a worker registers under, so the runtime can
// create their metric series before the first task.
type recordingRegistry struct {
	worker.Registry
	workflows, activities []string
}

func (r *recordingRegistry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	if o.Name != "" {
		r.workflows = append(r.workflows, o.Name)
	}
	r.Registry.RegisterWorkflowWithOptions(w, o)
}

func (r *recordingRegistry) RegisterActivityWithOptions(a any, o activity.RegisterOptions) {
	if o.Name != "" {
		r.activities = append(r.activities, o.Name)
	}
	r.Registry.RegisterActivityWithOptions(a, o)
}
