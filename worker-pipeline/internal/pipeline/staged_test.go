package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/contract"
)

func TestARunStagesUnderItsOwnPrefixLoadsTheTransformOutputAndCleansUp(t *testing.T) {
	f := newFakes(0.97)
	env := newEnv(t, f)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status)

	require.Len(t, f.transforms, 1)
	tr := f.transforms[0]
	assert.True(t, strings.HasPrefix(tr.OutputPath, "daily-sales/default-test-workflow-id."), tr.OutputPath)
	assert.True(t, strings.HasSuffix(tr.OutputPath, "/transform/"), tr.OutputPath)
	assert.Contains(t, tr.DAGRunID, "__", "the DAG run id names the run, not only the workflow id")
	require.Len(t, f.loads, 1)
	assert.Equal(t, "file:///staging/"+tr.OutputPath, f.loads[0].InputPath, "the transform's output is what gets loaded")
	assert.Equal(t, []string{strings.TrimSuffix(tr.OutputPath, "transform/")}, f.deleted, "the run's whole staging prefix is deleted")
}

func TestStagingIsDeletedWhateverTheOutcome(t *testing.T) {
	f := newFakes(0.97)
	f.extractErr = errPermanent
	env := newEnv(t, f)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	require.Error(t, env.GetWorkflowError())
	assert.Len(t, f.deleted, 1, "a failed run cleans up too")

	f = newFakes(0.5)
	env = newEnv(t, f)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approver: "bo", Reason: "no"})
	}, time.Minute)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	assert.Equal(t, contract.StatusCancelled, result(t, env).Status)
	assert.Len(t, f.deleted, 1, "a rejected run cleans up too")
}

func TestALoadThatSawOtherRowsFailsTheRun(t *testing.T) {
	f := newFakes(0.97)
	f.loadRows = 999
	cfg := config()
	cfg.TransformDAG = ""
	env := newEnv(t, f)
	env.ExecuteWorkflow(DataPipelineWorkflow, cfg)
	err := env.GetWorkflowError()
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "%v", err)
	assert.Equal(t, ErrTypeRowCountMismatch, app.Type())
	assert.Contains(t, app.Error(), "load_to_iceberg saw 999 rows but extract_data staged 1000")
	assert.Equal(t, 1, f.called(contract.ActivityNotifyFailure))
}

func TestAStagingPathOutsideTheStoreIsRefused(t *testing.T) {
	f := newFakes(0.97)
	cfg := config()
	cfg.StagingPath = "/etc"
	env := newEnv(t, f)
	env.ExecuteWorkflow(DataPipelineWorkflow, cfg)
	var app *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &app))
	assert.Equal(t, contract.ErrTypeValidation, app.Type())
	assert.Contains(t, app.Error(), "staging_path")
	assert.Zero(t, f.called(contract.ActivityExtractData))
}

func TestBadSignalsAreRefusedVisiblyAndTheRunStillListens(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.SignalApproval, "x") }, time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(contract.SignalApproval, map[string]any{"approved": true})
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		d := queryStatus(t, env)
		require.NotNil(t, d.RefusedSignals)
		assert.Equal(t, 2, d.RefusedSignals.Count)
		assert.Equal(t, contract.SignalApproval, d.RefusedSignals.Last.Name)
		assert.Equal(t, "approver is required", d.RefusedSignals.Last.Reason)
		assert.Contains(t, d.PendingSignals, contract.SignalApproval, "still waiting for a good decision")
		env.SignalWorkflow(contract.SignalCancel, 12345)
	}, 3*time.Minute)
	env.RegisterDelayedCallback(func() {
		d := queryStatus(t, env)
		assert.Equal(t, 3, d.RefusedSignals.Count)
		assert.Contains(t, d.RefusedSignals.Last.Reason, "does not decode")
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approved: true, Approver: "ana", Reason: "known gap"})
	}, 4*time.Minute)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status, "the good approval after three bad signals was taken")
	assert.Equal(t, "ana", res.Approver)
}

func TestASourceWithADSNIsRefusedAtStart(t *testing.T) {
	f := newFakes(0.97)
	cfg := config()
	cfg.Source = contract.SourceConfig{Kind: contract.SourcePostgres, DSN: "postgres://etl@10.0.0.9/sales", Table: "orders"}
	env := newEnv(t, f)
	env.ExecuteWorkflow(DataPipelineWorkflow, cfg)
	var app *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &app))
	assert.Equal(t, contract.ErrTypeValidation, app.Type())
	assert.Contains(t, app.Error(), "source.dsn")
	assert.Zero(t, f.called(contract.ActivityExtractData), "nothing ran")
}
