// Package rolloutgate is RolloutGateWorkflow: the replay gate of a rollout, run as
// a workflow on the new build's own workers. The replay is an activity of the
// worker runtime (shared/workerrt); this package holds only the workflow, which
// fails naming the runs that do not replay.
package rolloutgate

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

// ErrType is the failure type of a gate that found runs which do not replay.
const ErrType = "RolloutGateFailed"

// Registry is where workers (and replayers) register workflows; the SDK's worker
// package is not imported here, since it reaches the client.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers the workflow, Pinned: the gate runs to its end on the build it
// was started on, which is the build it judges.
func Register(reg Registry) {
	reg.RegisterWorkflowWithOptions(Workflow, workflowOptions())
}

func workflowOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: contract.RolloutGateWorkflow, VersioningBehavior: workflow.VersioningBehaviorPinned}
}

// Workflow replays the open runs on this build (the activity runs on the same
// queue and build) and fails, naming each run that does not replay.
func Workflow(ctx workflow.Context, in contract.RolloutGateInput) (contract.RolloutGateResult, error) {
	if in.Limit <= 0 {
		in.Limit = contract.DefaultGateLimit
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var res contract.RolloutGateResult
	if err := workflow.ExecuteActivity(ctx, contract.ActivityReplayOpenRuns, in).Get(ctx, &res); err != nil {
		return res, err
	}
	if failed := res.Failed(); len(failed) == 0 && in.Smoke != nil {
		res.Smoke = smoke(ctx, *in.Smoke)
		if res.Smoke.Status != contract.StatusCompleted {
			return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("build %s: the smoke pipeline %s ended %s: %s",
				res.Build, res.Smoke.WorkflowID, res.Smoke.Status, res.Smoke.Error), ErrType, nil, res)
		}
	}
	if failed := res.Failed(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, f := range failed {
			names[i] = f.WorkflowID + "/" + f.RunID + " (" + f.WorkflowType + ")"
		}
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("build %s cannot continue %d open run(s) it would take over: %s",
			res.Build, len(failed), strings.Join(names, ", ")), ErrType, nil, res)
	}
	return res, nil
}

// smoke runs cfg as a child DataPipelineWorkflow on the gate's own task queue,
// where it runs on the gate's build (a child on its parent's queue inherits its
// pinned version), and says how it ended.
func smoke(ctx workflow.Context, cfg contract.PipelineConfig) *contract.SmokeRun {
	info := workflow.GetInfo(ctx)
	run := &contract.SmokeRun{WorkflowID: info.WorkflowExecution.ID + "-smoke", Status: contract.StatusFailed}
	if err := cfg.Validate(); err != nil {
		run.Error = "smoke: " + err.Error()
		return run
	}
	if err := cfg.Source.RequireConnection("smoke.source"); err != nil {
		run.Error = err.Error()
		return run
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: run.WorkflowID, TaskQueue: info.TaskQueueName,
		WorkflowExecutionTimeout: 20 * time.Minute})
	var res contract.PipelineResult
	if err := workflow.ExecuteChildWorkflow(cctx, contract.DataPipelineWorkflow, cfg).Get(ctx, &res); err != nil {
		run.Error = err.Error()
		return run
	}
	run.Status, run.Rows = res.Status, res.RowsProcessed
	if res.Status != contract.StatusCompleted {
		run.Error = res.Reason
	}
	return run
}
