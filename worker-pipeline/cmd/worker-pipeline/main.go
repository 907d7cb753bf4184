// Command worker-pipeline runs the pipeline-workers task queue: DataPipelineWorkflow
// and DataBackfillWorkflow, and the extract, quality, Airflow, Iceberg and
// process_partition activities.
package main

import (
	"context"
	"flag"
	"fmt"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/workerrt"
	"github.com/matih/ops/worker-pipeline/internal/backfill"
	"github.com/matih/ops/worker-pipeline/internal/config"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
	"github.com/matih/ops/worker-pipeline/internal/pipeline"
)

// registerPipeline registers DataPipelineWorkflow; a rollout drill build replaces it
// (drill.go).
var registerPipeline = func(reg worker.WorkflowRegistry) { pipeline.Register(reg) }

func main() {
	var cfg config.Worker
	workerrt.Main(workerrt.Spec{
		Name:            "worker-pipeline",
		TaskQueue:       contract.PipelineQueue,
		DefaultHTTPAddr: "127.0.0.1:9101",
		Flags:           func(fs *flag.FlagSet) { cfg.RegisterFlags(fs) },
		Validate:        cfg.Validate,
		// iceberg-go logs through slog's default; its warning on every partition rerun
		// whose source shrank is expected here, so it goes to debug with its reason.
		LogHandler: lakehouse.QuietRerunWarning,
		// iceberg-go's S3 IO takes its retries from the activity's context.
		ActivityContext: func(ctx context.Context) (context.Context, error) { return cfg.S3.IcebergContext(ctx) },
		Workflows: func(reg worker.WorkflowRegistry) {
			registerPipeline(reg)
			backfill.Register(reg)
		},
		Setup: func(ctx context.Context, env workerrt.Env, reg worker.Registry) (func(), error) {
			acts, closeCatalog, err := cfg.Build(ctx)
			if err != nil {
				return nil, err
			}
			acts.Register(reg)
			env.Logger.Info("pipeline worker configured", "staging", cfg.StagingLocation(), "connections", cfg.ConnectionNames(), "catalog", cfg.Catalog.URI,
				"warehouse", cfg.Catalog.Warehouse, "airflow", cfg.AirflowURL != "")
			noteUpgradeOnContinueAsNew(ctx, env)
			return closeCatalog, nil
		},
	})
}

// noteUpgradeOnContinueAsNew says in the log when the server cannot move a
// backfill chain to a newer build at its continue-as-new (servers before 1.30 do
// not tell a pinned run that a newer build is the target): there a long backfill
// keeps its build up to its end.
func noteUpgradeOnContinueAsNew(ctx context.Context, env workerrt.Env) {
	info, err := env.Client.WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
	if err != nil {
		return
	}
	v := info.GetServerVersion()
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err == nil && (major < 1 || major == 1 && minor < 30) {
		env.Logger.Info("this Temporal server does not move pinned runs to a newer build at continue-as-new: backfills stay on the build that started them until they end",
			"server_version", v, "needs", "1.30 or newer")
	}
}
