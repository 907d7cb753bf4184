package pipeline

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
)

// ErrTypeRowCountMismatch is the error type of a run whose steps saw different
// row counts for the same data.
const ErrTypeRowCountMismatch = "RowCountMismatch"

// stagedRun is where one run stages inside the shared staging store: under a prefix
// named by the run (not just the workflow id), so a reset or a reused workflow id
// never reads another run's files, and deleted when the run ends.
type stagedRun struct {
	runID string
	key   string // this run: workflow id and run id
	root  string // <staging_path or pipeline_id>/<key>/, relative to the store
}

func (r *run) stagingOf(ctx workflow.Context) (stagedRun, error) {
	runID := workflow.GetInfo(ctx).WorkflowExecution.RunID
	key := r.id + "." + runID
	root, err := contract.StagingRoot(r.cfg.StagingPath, r.cfg.PipelineID, key)
	if err != nil {
		return stagedRun{}, err
	}
	return stagedRun{runID: runID, key: key, root: root}, nil
}

func (r *run) extractInput() contract.ExtractInput {
	return contract.ExtractInput{PipelineID: r.cfg.PipelineID, RunID: r.staged.key, Source: r.cfg.Source, OutputPrefix: r.staged.root + "extract/"}
}

func (r *run) qualityInput(ext contract.ExtractionResult) contract.QualityInput {
	rows := ext.Rows
	return contract.QualityInput{OutputPath: ext.OutputPath, Checks: r.cfg.QualityChecks, ExpectedRows: &rows}
}

func (r *run) transformInput(ext contract.ExtractionResult) contract.TransformInput {
	return contract.TransformInput{DAGID: r.cfg.TransformDAG, DAGRunID: contract.DAGRunID(r.id, r.staged.runID),
		InputPath: ext.OutputPath, OutputPath: r.staged.root + "transform/", PipelineID: r.cfg.PipelineID}
}

func (r *run) loadKey() string { return r.staged.key }

// crossCheck fails the run when a step saw a row count other than the extraction's.
func (r *run) crossCheck(step string, extracted, seen int64) error {
	if extracted == seen {
		return nil
	}
	r.current = step
	msg := fmt.Sprintf("%s saw %d rows but extract_data staged %d: staged data changed or went missing between steps", step, seen, extracted)
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeRowCountMismatch, nil)
}

// deleteStaging removes the run's staging, whatever its outcome, on a disconnected
// context so a cancelled run cleans up too. A failure is logged, never fatal.
func (r *run) deleteStaging(ctx workflow.Context) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = retry.WithActivityOptions(dctx, contract.ActivityDeleteStaging)
	err := workflow.ExecuteActivity(dctx, contract.ActivityDeleteStaging, contract.StagingCleanupInput{Path: r.staged.root}).Get(dctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("staging not deleted", "prefix", r.staged.root, "error", err)
	}
}
