package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
)

// An approval payload without "approved" says neither approve nor reject: the
// update is rejected by its validator and the signal refused, and the run keeps
// waiting for a real decision instead of reading it as a rejection.
func TestAnApprovalWithoutADecisionIsRefusedNotReadAsARejection(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	noDecision := map[string]any{"approver": "ana", "reason": "looks fine"}
	var rejected error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(contract.UpdateApproval, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { rejected = err },
			OnAccept:   func() { t.Error("an approval without a decision was accepted") },
			OnComplete: func(any, error) {},
		}, noDecision)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.SignalApproval, noDecision) }, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		d := queryStatus(t, env)
		require.NotNil(t, d.RefusedSignals)
		assert.Equal(t, 1, d.RefusedSignals.Count)
		assert.Contains(t, d.RefusedSignals.Last.Reason, "approved is required")
		require.NotNil(t, d.Approval)
		assert.False(t, d.Approval.Decided, "nothing was decided")
		assert.Equal(t, contract.PhaseAwaitingApproval, d.Phase)
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approved: true, Approver: "ana", Reason: "known gap"})
	}, 3*time.Hour)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	require.Error(t, rejected)
	assert.Contains(t, rejected.Error(), "approved is required")
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status, "the decision that followed was taken")
	assert.Equal(t, "ana", res.Approver)
}

// A reason over the contract's bound is refused by the validator and the signal
// alike: accepted, it would be written into history several times over.
func TestAnApprovalReasonOverTheBoundIsRefused(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	long := contract.ApprovalSignal{Approved: true, Approver: "ana", Reason: strings.Repeat("r", contract.MaxReasonBytes+1)}
	var rejected error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(contract.UpdateApproval, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { rejected = err },
			OnAccept:   func() { t.Error("an approval over the bound was accepted") },
			OnComplete: func(any, error) {},
		}, long)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.SignalApproval, long) }, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		d := queryStatus(t, env)
		require.NotNil(t, d.RefusedSignals)
		assert.Contains(t, d.RefusedSignals.Last.Reason, "reason is too long: expected at most 16384 bytes")
		assert.False(t, d.Approval.Decided)
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approved: false, Approver: "ana", Reason: "too short a feed"})
	}, 3*time.Hour)
	env.ExecuteWorkflow(DataPipelineWorkflow, config())
	require.Error(t, rejected)
	assert.Contains(t, rejected.Error(), "reason is too long")
	assert.Equal(t, contract.StatusCancelled, result(t, env).Status, "the decision that followed was taken")
}
