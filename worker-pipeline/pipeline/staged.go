package pipeline

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/worker-pipeline/airflow"
)

// changeStagingStore is the workflow.GetVersion change id of run-scoped staging:
// files under a prefix of the shared staging store named by the run (not just the
// workflow id), quality checked against the extracted row count, the transform's
// output loaded, the DAG run waited on when cancelled, and the staging deleted
// when the run ends. Runs started before it finish on the old path.
const changeStagingStore = "staging-store"

// ErrTypeRowCountMismatch is the error type of a run whose steps saw different
// row counts for the same data.
const ErrTypeRowCountMismatch = "RowCountMismatch"

// stagedRun is where one run stages inside the store.
type stagedRun struct {
	runID string
	key   string // this run: workflow id and run id
	root  string // <staging_path or pipeline_id>/<key>/, relative to the store
}

func (r *run) stagingVersion(ctx workflow.Context) (*stagedRun, error) {
	if workflow.GetVersion(ctx, changeStagingStore, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil, nil
	}
	runID := workflow.GetInfo(ctx).WorkflowExecution.RunID
	key := r.id + "." + runID
	root, err := contract.StagingRoot(r.cfg.StagingPath, r.cfg.PipelineID, key)
	if err != nil {
		return nil, err
	}
	return &stagedRun{runID: runID, key: key, root: root}, nil
}

func (r *run) extractInput() contract.ExtractInput {
	in := contract.ExtractInput{PipelineID: r.cfg.PipelineID, RunID: r.id, Source: r.cfg.Source, StagingPath: r.cfg.StagingPath}
	if r.staged != nil {
		in.RunID, in.StagingPath, in.OutputPrefix = r.staged.key, "", r.staged.root+"extract/"
	}
	return in
}

func (r *run) qualityInput(ext contract.ExtractionResult) contract.QualityInput {
	in := contract.QualityInput{OutputPath: ext.OutputPath, Checks: r.cfg.QualityChecks}
	if r.staged != nil {
		rows := ext.Rows
		in.ExpectedRows = &rows
	}
	return in
}

func (r *run) transformInput(ext contract.ExtractionResult) contract.TransformInput {
	in := contract.TransformInput{DAGID: r.cfg.TransformDAG, DAGRunID: airflow.RunID(r.id), InputPath: ext.OutputPath, PipelineID: r.cfg.PipelineID}
	if r.staged != nil {
		in.DAGRunID = airflow.RunIDOf(r.id, r.staged.runID)
		in.OutputPath = r.staged.root + "transform/"
	}
	return in
}

func (r *run) loadKey() string {
	if r.staged != nil {
		return r.staged.key
	}
	return r.id
}

// crossCheck fails the run when a step saw a row count other than the extraction's.
func (r *run) crossCheck(step string, extracted, seen int64) error {
	if r.staged == nil || extracted == seen {
		return nil
	}
	r.current = step
	msg := fmt.Sprintf("%s saw %d rows but extract_data staged %d: staged data changed or went missing between steps", step, seen, extracted)
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeRowCountMismatch, nil)
}

// deleteStaging removes the run's staging, whatever its outcome, on a disconnected
// context so a cancelled run cleans up too. A failure is logged, never fatal.
func (r *run) deleteStaging(ctx workflow.Context) {
	if r.staged == nil {
		return
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = retry.WithActivityOptions(dctx, contract.ActivityDeleteStaging)
	err := workflow.ExecuteActivity(dctx, contract.ActivityDeleteStaging, contract.StagingCleanupInput{Path: r.staged.root}).Get(dctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("staging not deleted", "prefix", r.staged.root, "error", err)
	}
}
