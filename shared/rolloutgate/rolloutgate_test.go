package rolloutgate

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

func gateEnv(t *testing.T, runs []contract.GateRun) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Workflow, workflowOptions())
	env.RegisterActivityWithOptions(func(_ context.Context, in contract.RolloutGateInput) (contract.RolloutGateResult, error) {
		assert.Equal(t, contract.DefaultGateLimit, in.Limit, "no input: the default limit")
		return contract.RolloutGateResult{Build: "build-b", Runs: runs}, nil
	}, activity.RegisterOptions{Name: contract.ActivityReplayOpenRuns})
	return env
}

func TestTheGatePassesWhenEveryRunItWouldContinueReplays(t *testing.T) {
	env := gateEnv(t, []contract.GateRun{{WorkflowID: "a", RunID: "1", WorkflowType: "X", Verdict: contract.GateReplayed},
		{WorkflowID: "b", RunID: "2", WorkflowType: "X", Verdict: contract.GatePinnedElsewhere}})
	env.ExecuteWorkflow(contract.RolloutGateWorkflow) // the controller may start it without input
	require.NoError(t, env.GetWorkflowError())
	var res contract.RolloutGateResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Len(t, res.Runs, 2)
	assert.Empty(t, res.Failed())
}

func TestTheGateFailsNamingEachRunThatDoesNotReplay(t *testing.T) {
	env := gateEnv(t, []contract.GateRun{{WorkflowID: "ok", RunID: "1", WorkflowType: "X", Verdict: contract.GateReplayed},
		{WorkflowID: "delivery-7", RunID: "r7", WorkflowType: "NotificationDeliveryWorkflow", Verdict: contract.GateFailed, Detail: "nondeterministic"}})
	env.ExecuteWorkflow(contract.RolloutGateWorkflow, contract.RolloutGateInput{})
	err := env.GetWorkflowError()
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	assert.Equal(t, ErrType, app.Type())
	assert.True(t, app.NonRetryable())
	assert.Contains(t, app.Error(), "build build-b cannot continue 1 open run(s) it would take over: delivery-7/r7 (NotificationDeliveryWorkflow)")
	var res contract.RolloutGateResult
	require.NoError(t, app.Details(&res), "the verdicts travel with the failure")
	assert.Len(t, res.Failed(), 1)
}

func smokeConfig() *contract.PipelineConfig {
	return &contract.PipelineConfig{PipelineID: "rollout-smoke", Source: contract.SourceConfig{Connection: "canary", Table: "orders"},
		Destination: contract.DestinationConfig{Table: "rollout_smoke.orders"}}
}

// Once the replay passed, the smoke pipeline runs as a child on the gate's queue;
// the gate passes only when it completes.
func TestTheSmokePipelineMustComplete(t *testing.T) {
	for status, wantErr := range map[string]string{contract.StatusCompleted: "", contract.StatusCancelled: "the smoke pipeline"} {
		env := gateEnv(t, nil)
		var got contract.PipelineConfig
		env.RegisterWorkflowWithOptions(func(_ workflow.Context, cfg contract.PipelineConfig) (contract.PipelineResult, error) {
			got = cfg
			return contract.PipelineResult{Status: status, RowsProcessed: 42, Reason: "rejected by approval timeout"}, nil
		}, workflow.RegisterOptions{Name: contract.DataPipelineWorkflow})
		env.ExecuteWorkflow(contract.RolloutGateWorkflow, contract.RolloutGateInput{Smoke: smokeConfig()})
		assert.Equal(t, "canary", got.Source.Connection, status)
		if wantErr == "" {
			require.NoError(t, env.GetWorkflowError())
			var res contract.RolloutGateResult
			require.NoError(t, env.GetWorkflowResult(&res))
			require.NotNil(t, res.Smoke)
			assert.Equal(t, int64(42), res.Smoke.Rows)
			continue
		}
		err := env.GetWorkflowError()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ended CANCELLED: rejected by approval timeout")
	}
}

func TestABadSmokeConfigFailsTheGateNamingTheField(t *testing.T) {
	env := gateEnv(t, nil)
	bad := smokeConfig()
	bad.Source.Connection = ""
	env.ExecuteWorkflow(contract.RolloutGateWorkflow, contract.RolloutGateInput{Smoke: bad})
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "source.connection")
}
