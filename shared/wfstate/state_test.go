package wfstate

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// tracked runs two steps, the second failing, then waits to be queried.
func tracked(ctx workflow.Context) error {
	s := &State{Status: status.WorkflowRunning}
	if err := s.RegisterQueries(ctx); err != nil {
		return err
	}
	SetPipelineID(ctx, "orders")
	s.SetPhase(ctx, contract.PhaseExtracting, 0.25)
	i := s.Begin(ctx, "first")
	_ = workflow.Sleep(ctx, time.Second)
	s.End(ctx, i, status.ActivityCompleted, nil)
	i = s.Begin(ctx, "second")
	s.End(ctx, i, status.ActivityFailed, errors.New("boom"))
	return workflow.Sleep(ctx, time.Hour)
}

func TestTheStateAnswersTheStatusQueryAndUpsertsItsAttributes(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(tracked, workflow.RegisterOptions{Name: "tracked"})
	var doc status.Document
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(contract.QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&doc))
	}, time.Minute)
	env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(SAPipelineID.ValueSet("orders"))).Return(nil).Once()
	env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(SAPhase.ValueSet(contract.PhaseExtracting), SAProgress.ValueSet(0.25))).Return(nil).Once()
	env.ExecuteWorkflow("tracked")
	env.AssertExpectations(t)
	require.True(t, env.IsWorkflowCompleted())
	assert.Equal(t, "tracked", doc.WorkflowType)
	assert.Equal(t, contract.PhaseExtracting, doc.Phase)
	assert.Equal(t, 0.25, doc.Progress)
	assert.Equal(t, status.SourceQuery, doc.ProgressSource)
	assert.Equal(t, []string{}, doc.PendingSignals)
	require.Len(t, doc.Activities, 2)
	assert.Equal(t, "1s", doc.Activities[0].Duration)
	assert.Equal(t, status.ActivityFailed, doc.Activities[1].Status)
	assert.Equal(t, "boom", doc.Activities[1].LastFailure)
	assert.Empty(t, doc.CurrentActivity)
}
