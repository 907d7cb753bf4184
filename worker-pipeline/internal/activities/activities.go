// Package activities exposes the pipeline worker's activities under their wire names.
// Each is a method on Activities, which holds the backends they use.
package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/keepalive"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/worker-pipeline/internal/airflow"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
	"github.com/matih/ops/worker-pipeline/internal/partition"
	"github.com/matih/ops/worker-pipeline/internal/quality"
	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// Activities holds the dependencies of the pipeline activities.
type Activities struct {
	Extractor   *extract.Extractor
	Checker     *quality.Checker
	Airflow     *airflow.Client // nil when the worker has no Airflow configured
	AirflowPoll time.Duration
	Loader      *lakehouse.Loader
	Partitions  *partition.Processor // process_partition, for DataBackfillWorkflow
	Store       *staging.Store       // the staging store every process of the queue shares
	DAGs        contract.AllowList   // the DAGs transform_dag may name (--airflow-dags)
	Namespaces  contract.AllowList   // the Iceberg namespaces loads may write; empty: any
}

// Register registers every activity under its contract name.
func (a *Activities) Register(reg worker.ActivityRegistry) {
	reg.RegisterActivityWithOptions(a.ExtractData, activity.RegisterOptions{Name: contract.ActivityExtractData})
	reg.RegisterActivityWithOptions(a.ValidateQuality, activity.RegisterOptions{Name: contract.ActivityValidateQuality})
	reg.RegisterActivityWithOptions(a.TriggerAirflowDAG, activity.RegisterOptions{Name: contract.ActivityTriggerAirflowDAG})
	reg.RegisterActivityWithOptions(a.LoadToIceberg, activity.RegisterOptions{Name: contract.ActivityLoadToIceberg})
	reg.RegisterActivityWithOptions(a.DeleteStaging, activity.RegisterOptions{Name: contract.ActivityDeleteStaging})
	if a.Partitions != nil {
		reg.RegisterActivityWithOptions(a.Partitions.ProcessPartition, activity.RegisterOptions{Name: contract.ActivityProcessPartition})
	}
}

// ExtractData stages the source as Parquet, resuming after the files a previous
// attempt heartbeated.
func (a *Activities) ExtractData(ctx context.Context, in contract.ExtractInput) (contract.ExtractionResult, error) {
	var resume extract.Progress
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &resume)
		activity.GetLogger(ctx).Info("resuming extraction", "files", len(resume.Files), "rows", resume.Rows)
	}
	res, err := a.Extractor.Extract(ctx, in, resume, func(p extract.Progress) { activity.RecordHeartbeat(ctx, p) })
	return res, retry.Classify(err)
}

// ValidateQuality runs the declared checks over the staged data.
func (a *Activities) ValidateQuality(ctx context.Context, in contract.QualityInput) (contract.QualityResult, error) {
	res, err := a.Checker.Run(ctx, in, func(rows int64) { activity.RecordHeartbeat(ctx, rows) })
	var missing *quality.MissingDataError
	if errors.As(err, &missing) {
		return res, nonRetryable(err, "StagedDataMissing")
	}
	return res, retry.Classify(err)
}

// TriggerAirflowDAG runs the transform DAG to its end, heartbeating on every poll.
func (a *Activities) TriggerAirflowDAG(ctx context.Context, in contract.TransformInput) (contract.TransformResult, error) {
	if a.Airflow == nil {
		return contract.TransformResult{}, retry.Classify(contract.Invalid("transform_dag",
			"no DAG, or a worker started with --airflow-url: %q is set but this worker has no Airflow configured", in.DAGID))
	}
	if err := a.DAGs.Check("transform_dag", in.DAGID); err != nil {
		return contract.TransformResult{}, retry.Classify(err)
	}
	poll := a.AirflowPoll
	if poll <= 0 {
		poll = 10 * time.Second
	}
	outPrefix, err := a.Store.Resolve("output_path", in.OutputPath)
	if err != nil {
		return contract.TransformResult{}, retry.Classify(err)
	}
	output := a.Store.URLOf(outPrefix)
	conf := map[string]any{"input_path": in.InputPath, "pipeline_id": in.PipelineID, "output_path": output}
	run, err := a.Airflow.RunToEnd(ctx, in.DAGID, in.DAGRunID, conf, poll,
		func(state string) { activity.RecordHeartbeat(ctx, state) }, cancelRequested(ctx))
	var failed *airflow.RunFailedError
	if errors.As(err, &failed) {
		return contract.TransformResult{}, nonRetryable(err, "AirflowRunFailed")
	}
	if err != nil {
		return contract.TransformResult{}, retry.Classify(err)
	}
	if err := a.checkOutput(ctx, in, outPrefix); err != nil {
		return contract.TransformResult{}, err
	}
	return contract.TransformResult{Status: contract.TransformSucceeded, DAGID: in.DAGID, DAGRunID: run.DAGRunID,
		OutputPath: output, StartedAt: run.StartDate, EndedAt: run.EndDate}, nil
}

// checkOutput fails the step when a DAG run succeeded without writing its output:
// the load would have nothing to load, and saying so here names the DAG.
func (a *Activities) checkOutput(ctx context.Context, in contract.TransformInput, prefix string) error {
	files, err := a.Store.Files(ctx, prefix)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return nonRetryable(fmt.Errorf("airflow DAG %s run %s succeeded but wrote no Parquet files to %s (conf.output_path)",
			in.DAGID, in.DAGRunID, a.Store.URLOf(prefix)), "TransformOutputMissing")
	}
	return nil
}

// cancelRequested tells, once the activity's context ended, whether the workflow
// asked for it: the SDK then gives a CanceledError as the cause. A worker shutdown,
// the deadline or a lost heartbeat give other causes.
func cancelRequested(ctx context.Context) func() bool {
	return func() bool { return temporal.IsCanceledError(context.Cause(ctx)) }
}

// DeleteStaging removes a finished run's staged files from the store.
func (a *Activities) DeleteStaging(ctx context.Context, in contract.StagingCleanupInput) (contract.StagingCleanupResult, error) {
	prefix, err := a.Store.Resolve("path", in.Path)
	if err != nil {
		return contract.StagingCleanupResult{}, retry.Classify(err)
	}
	stop := heartbeatEvery(ctx, 5*time.Second, "deleting")
	defer stop()
	n, err := a.Store.Delete(ctx, prefix)
	return contract.StagingCleanupResult{Deleted: n}, retry.Classify(err)
}

// LoadToIceberg appends the staged data in one commit; a retry that finds its
// idempotency key returns the recorded result.
func (a *Activities) LoadToIceberg(ctx context.Context, in contract.LoadInput) (contract.LoadResult, error) {
	if err := contract.CheckNamespace(a.Namespaces, "destination.table", in.Destination.Table); err != nil {
		return contract.LoadResult{}, retry.Classify(err)
	}
	stop := heartbeatEvery(ctx, 5*time.Second, "loading")
	defer stop()
	res, err := a.Loader.Load(ctx, in)
	return res, retry.Classify(err)
}

// heartbeatEvery heartbeats at once and then from a goroutine while a single long
// call runs, so the server sees the worker alive and cancellation reaches ctx.
func heartbeatEvery(ctx context.Context, every time.Duration, detail any) func() {
	activity.RecordHeartbeat(ctx, detail)
	return keepalive.Every(ctx, every, func() { activity.RecordHeartbeat(ctx, detail) })
}
