package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

func config() contract.PipelineConfig {
	return contract.PipelineConfig{
		PipelineID:      "daily-sales",
		Source:          contract.SourceConfig{Connection: "orders", Table: "orders"},
		MinQualityScore: 0.9,
		TransformDAG:    "sales_transform",
		Destination:     contract.DestinationConfig{Table: "analytics.orders"},
	}
}

func newEnv(t *testing.T, f *fakes) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(DataPipelineWorkflow)
	f.register(env)
	return env
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) contract.PipelineResult {
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contract.PipelineResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func queryStatus(t *testing.T, env *testsuite.TestWorkflowEnvironment) status.Document {
	v, err := env.QueryWorkflow(contract.QueryStatus)
	require.NoError(t, err)
	var d status.Document
	require.NoError(t, v.Get(&d))
	return d
}

func TestHappyPath(t *testing.T) {
	f := newFakes(0.97)
	env := newEnv(t, f)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, int64(1000), res.RowsProcessed)
	assert.Equal(t, int64(4242), res.SnapshotID)
	assert.Equal(t, 0.97, res.QualityScore)
	assert.Equal(t, 1, f.called(contract.ActivityNotifyPipelineCompletion))
	assert.Zero(t, f.called(contract.ActivityNotifyQualityIssue))

	d := queryStatus(t, env)
	assert.Equal(t, contract.PhaseCompleted, d.Phase)
	assert.Equal(t, 1.0, d.Progress)
	names := []string{}
	for _, a := range d.Activities {
		names = append(names, a.Name+":"+a.Status)
	}
	assert.Equal(t, []string{"extract_data:COMPLETED", "validate_quality:COMPLETED", "trigger_airflow_dag:COMPLETED", "load_to_iceberg:COMPLETED"}, names)
}

func TestNoDAGSkipsTransform(t *testing.T) {
	f := newFakes(1)
	env := newEnv(t, f)
	cfg := config()
	cfg.TransformDAG = ""
	env.ExecuteWorkflow(DataPipelineWorkflow, cfg)
	assert.Equal(t, contract.StatusCompleted, result(t, env).Status)
	assert.Zero(t, f.called(contract.ActivityTriggerAirflowDAG))
	d := queryStatus(t, env)
	assert.Equal(t, status.ActivitySkipped, d.Activities[2].Status)
}

func approve(env *testsuite.TestWorkflowEnvironment, after time.Duration, sig contract.ApprovalSignal, onReject func(error)) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(contract.UpdateApproval, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { onReject(err) },
			OnAccept:   func() {},
			OnComplete: func(any, error) {},
		}, sig)
	}, after)
}

func TestLowQualityThenApprove(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	var waiting status.Document
	env.RegisterDelayedCallback(func() { waiting = queryStatus(t, env) }, 30*time.Minute)
	approve(env, time.Hour, contract.ApprovalSignal{Approved: true, Approver: "ana@bastion", Reason: "known late feed"}, func(err error) { t.Errorf("rejected: %v", err) })
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "ana@bastion", res.Approver)
	assert.Equal(t, "known late feed", res.ApprovalReason)
	assert.Equal(t, 2, f.called(contract.ActivityNotifyQualityIssue), "the issue, then the decision")
	assert.Equal(t, "approved", f.notifications[contract.ActivityNotifyQualityIssue][1].(map[string]any)["decision"])

	assert.Equal(t, contract.PhaseAwaitingApproval, waiting.Phase)
	assert.Equal(t, []string{"approval"}, waiting.PendingSignals)
	require.NotNil(t, waiting.Approval)
	require.NotNil(t, waiting.Quality)
	assert.Equal(t, "order_id=7: amount is null", waiting.Quality.Checks[0].Samples[0])
	assert.Equal(t, 0.9, waiting.Approval.MinScore)
	after := queryStatus(t, env)
	assert.Equal(t, "ana@bastion", after.Approval.Approver)
}

func TestLowQualityThenReject(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	approve(env, time.Hour, contract.ApprovalSignal{Approved: false, Approver: "bo", Reason: "half the amounts are missing"}, func(err error) { t.Errorf("rejected: %v", err) })
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCancelled, res.Status)
	assert.Equal(t, "Quality below threshold; rejected by bo: half the amounts are missing", res.Reason)
	require.Len(t, f.notifications[contract.ActivityNotifyQualityIssue], 2, "the issue, then the decision that closes its page")
	follow := f.notifications[contract.ActivityNotifyQualityIssue][1].(map[string]any)
	assert.Equal(t, "rejected", follow["decision"])
	assert.Equal(t, "bo", follow["approver"])
	assert.Zero(t, f.called(contract.ActivityTriggerAirflowDAG))
	assert.Zero(t, f.called(contract.ActivityLoadToIceberg))
}

func TestApprovalTimesOut(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCancelled, res.Status)
	assert.Equal(t, "approval timed out after 4h", res.Reason)
	assert.Zero(t, f.called(contract.ActivityLoadToIceberg))
	require.Len(t, f.notifications[contract.ActivityNotifyQualityIssue], 2, "people hear that nobody decided")
	follow := f.notifications[contract.ActivityNotifyQualityIssue][1].(map[string]any)
	assert.Equal(t, "rejected", follow["decision"])
	assert.Equal(t, "approval timeout", follow["approver"])
	assert.Contains(t, follow["reason"], "no decision within 4h")
}

func TestDuplicateApprovalsFirstWins(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	refused := make(chan error, 1)
	var lateErr error
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approved: true, Approver: "first", Reason: "ok"})
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approved: false, Approver: "second", Reason: "no"})
	}, time.Hour)
	f.onTransform = func(ctx context.Context) error {
		// A console user who approves late gets a synchronous refusal.
		env.UpdateWorkflow(contract.UpdateApproval, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { refused <- err }, OnAccept: func() { refused <- nil }, OnComplete: func(any, error) {},
		}, contract.ApprovalSignal{Approved: false, Approver: "late", Reason: "r"})
		select {
		case err := <-refused:
			lateErr = err
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("update never answered")
		}
	}
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "first", res.Approver)
	require.Error(t, lateErr, "a late update is refused")
	assert.Contains(t, lateErr.Error(), "already decided by first")
	d := queryStatus(t, env)
	require.Len(t, d.Approval.Ignored, 1)
	assert.Equal(t, "second", d.Approval.Ignored[0].Approver)
}

func TestEarlyApprovalIsRefusedAndIgnored(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	var refused error
	// Sent while extraction runs: the update is refused, the signal recorded and ignored.
	f.onTransform = nil
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approved: true, Approver: "eager", Reason: "trust me"})
	}, 0)
	approve(env, 0, contract.ApprovalSignal{Approved: true, Approver: "eager", Reason: "r"}, func(err error) { refused = err })
	approve(env, time.Hour, contract.ApprovalSignal{Approved: false, Approver: "", Reason: "no one"}, func(err error) {
		assert.ErrorContains(t, err, "approver is required")
	})
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, "approval timed out after 4h", res.Reason, "the early approval did not count")
	require.Error(t, refused)
	assert.Contains(t, refused.Error(), "not awaiting approval")
}

func TestCancelSignalDuringTransform(t *testing.T) {
	f := newFakes(1)
	env := newEnv(t, f)
	f.onTransform = func(ctx context.Context) error {
		go env.SignalWorkflow(contract.SignalCancel, contract.CancelSignal{RequestedBy: "oncall", Reason: "wrong day"})
		return waitCancelled(ctx)
	}
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCancelled, res.Status)
	assert.Equal(t, "cancelled by oncall: wrong day", res.Reason)
	assert.Zero(t, f.called(contract.ActivityLoadToIceberg))
	assertCancelledCompletion(t, f, "cancelled by oncall: wrong day")
	d := queryStatus(t, env)
	assert.Equal(t, contract.PhaseCancelled, d.Phase)
	assert.Equal(t, status.ActivityCancelled, d.Activities[2].Status)
}

func TestTemporalCancellationDuringTransform(t *testing.T) {
	f := newFakes(1)
	env := newEnv(t, f)
	f.onTransform = func(ctx context.Context) error {
		go env.CancelWorkflow()
		return waitCancelled(ctx)
	}
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	res := result(t, env)
	assert.Equal(t, contract.StatusCancelled, res.Status)
	assert.Equal(t, "cancelled through Temporal", res.Reason)
	assertCancelledCompletion(t, f, "cancelled through Temporal")
}

// assertCancelledCompletion: a cancelled run tells people with one completion
// whose status is CANCELLED (worker-notify resolves the run's incidents on it),
// sent on a disconnected context, and no failure.
func assertCancelledCompletion(t *testing.T, f *fakes, reason string) {
	t.Helper()
	assert.Zero(t, f.called(contract.ActivityNotifyFailure), "a cancellation is not a failure")
	require.Equal(t, 1, f.called(contract.ActivityNotifyPipelineCompletion))
	f.mu.Lock()
	n, _ := f.notifications[contract.ActivityNotifyPipelineCompletion][0].(map[string]any)
	f.mu.Unlock()
	assert.Equal(t, contract.StatusCancelled, n["status"])
	assert.Contains(t, n["summary"], reason)
}

func TestFailingActivityNotifiesAndFails(t *testing.T) {
	f := newFakes(1)
	f.extractErr = errPermanent
	env := newEnv(t, f)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	assert.Equal(t, "ValidationError", app.Type())
	require.Len(t, f.notifications[contract.ActivityNotifyFailure], 1)
	n := f.notifications[contract.ActivityNotifyFailure][0].(map[string]any)
	assert.Equal(t, contract.ActivityExtractData, n["activity"])
	assert.Equal(t, "critical", n["severity"])
	assert.Contains(t, n["error"], "no such table")
	assert.Zero(t, f.called(contract.ActivityValidateQuality))
}

func TestInvalidConfigFailsFastWithNothingRun(t *testing.T) {
	f := newFakes(1)
	env := newEnv(t, f)
	cfg := config()
	cfg.MinQualityScore = 1.5
	env.ExecuteWorkflow(DataPipelineWorkflow, cfg)
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "min_quality_score")
	assert.Empty(t, f.calls)
}
