//go:build rollout_drill

package main

import (
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/pipeline"
)

// A build made with `-tags rollout_drill` registers, under DataPipelineWorkflow's
// name, a workflow that starts a timer before the real one: it cannot replay any
// run recorded by a real build. It exists to rehearse a rollout whose new build
// must not take over the runs in flight (scripts/rollout.sh, the rollout
// integration test); no real build contains it.
func init() {
	registerPipeline = func(reg worker.WorkflowRegistry) {
		reg.RegisterWorkflowWithOptions(drillPipeline, workflow.RegisterOptions{
			Name: contract.DataPipelineWorkflow, VersioningBehavior: workflow.VersioningBehaviorPinned})
	}
}

func drillPipeline(ctx workflow.Context, cfg contract.PipelineConfig) (contract.PipelineResult, error) {
	if err := workflow.Sleep(ctx, time.Millisecond); err != nil {
		return contract.PipelineResult{}, err
	}
	return pipeline.DataPipelineWorkflow(ctx, cfg)
}
