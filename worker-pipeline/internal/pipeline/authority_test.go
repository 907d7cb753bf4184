package pipeline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
)

// Under four eyes with a list of approvers, the update refuses the starter and an
// identity outside the list, the signal from them is refused and counted, and an
// allowed approver decides.
func TestOnlyThoseTheDefinitionAllowsMayDecide(t *testing.T) {
	f := newFakes(0.5)
	env := newEnv(t, f)
	cfg := config()
	cfg.Approvers = []string{"ana@matih", "bo@matih"}
	cfg.FourEyes, cfg.StartedBy = true, "bo@matih"
	var refused []string
	update := func(approver string) {
		env.UpdateWorkflow(contract.UpdateApproval, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { refused = append(refused, err.Error()) },
			OnAccept:   func() { t.Errorf("%s was allowed to decide", approver) },
			OnComplete: func(any, error) {},
		}, contract.ApprovalSignal{Approved: true, Approver: approver, Reason: "fine"})
	}
	env.RegisterDelayedCallback(func() { update("bo@matih") }, time.Hour)
	env.RegisterDelayedCallback(func() { update("eve@matih") }, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approved: true, Approver: "eve@matih", Reason: "by signal"})
	}, 3*time.Hour)
	env.RegisterDelayedCallback(func() {
		d := queryStatus(t, env)
		require.NotNil(t, d.RefusedSignals)
		assert.Contains(t, d.RefusedSignals.Last.Reason, "eve@matih may not decide")
		assert.False(t, d.Approval.Decided, "nobody allowed has decided yet")
		env.SignalWorkflow(contract.SignalApproval, contract.ApprovalSignal{Approved: true, Approver: "ana@matih", Reason: "checked"})
	}, 3*time.Hour+time.Minute)
	env.ExecuteWorkflow(DataPipelineWorkflow, cfg)
	require.Len(t, refused, 2)
	assert.Contains(t, refused[0], "four eyes: bo@matih started this run")
	assert.Contains(t, refused[1], "eve@matih may not decide this pipeline's approval: its approvers are ana@matih, bo@matih")
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "ana@matih", res.Approver)
}
