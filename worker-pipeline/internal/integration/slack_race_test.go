package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

// TestSlackAndTheConsoleRaceForOneDecision: for each of several waiting runs, ana
// approves from the Slack alert while bob rejects from the console at the same
// moment. Each run takes exactly one decision, whoever came first: its result, its
// history and its alert all name the same person, and the other is told, never
// silently dropped (the console's update is refused, the Slack click answered).
func TestSlackAndTheConsoleRaceForOneDecision(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: worker processes, matih serve and Slack's contract server")
	}
	srv, slack, s, interactions := slackStack(t)
	dirty, _ := s.source(t, 200, 0.3)
	ana := testkit.SlackUser{ID: "U0ANA", Name: "ana"}
	ctx := context.Background()

	const runs = 4
	type race struct {
		id         string
		consoleErr error
	}
	races := make([]race, runs)
	for i := range races {
		run := s.start(t, fmt.Sprintf("pipeline-slack-race-%d", i), cfgFor(dirty, fmt.Sprintf("analytics.slack_race_%d", i)))
		races[i].id = run.GetID()
	}
	var wg sync.WaitGroup
	for i := range races {
		alert := waitAlert(t, slack, races[i].id)
		waitPhase(t, srv.Client, races[i].id, contract.PhaseAwaitingApproval)
		trigger, resp := slack.Click(t, interactions, ana, contract.SlackActionApprove, alert)
		resp.Body.Close()
		require.Eventually(t, func() bool { _, ok := slack.View(trigger); return ok }, 5*time.Second, 20*time.Millisecond, "the reason modal opens")
		wg.Add(2)
		go func() { // ana submits her reason in Slack ...
			defer wg.Done()
			resp := slack.Submit(t, interactions, ana, trigger, contract.SlackReasonBlock, contract.SlackReasonAction, "slack says go")
			resp.Body.Close()
		}()
		go func() { // ... while bob rejects from the console
			defer wg.Done()
			h, err := srv.Client.UpdateWorkflow(ctx, updateOpts(races[i].id, contract.ApprovalSignal{Approved: false, Approver: "bob@bastion", Reason: "console says stop"}))
			if err == nil {
				var ack status.Approval
				err = h.Get(ctx, &ack)
			}
			races[i].consoleErr = err
		}()
	}
	wg.Wait()

	slackWins := 0
	for _, r := range races {
		var res contract.PipelineResult
		run := srv.Client.GetWorkflow(ctx, r.id, "")
		require.NoError(t, run.Get(ctx, &res))
		switch res.Approver {
		case "ana@matih (slack U0ANA)":
			slackWins++
			assert.Equal(t, contract.StatusCompleted, res.Status, r.id)
			assert.Equal(t, "slack says go", res.ApprovalReason)
			require.Error(t, r.consoleErr, "%s: the console's late rejection is refused, not lost", r.id)
			assert.Contains(t, r.consoleErr.Error(), "already", r.id)
			waitDecided(t, slack, r.id, "approved by ana@matih (slack U0ANA)")
		case "bob@bastion":
			assert.Equal(t, contract.StatusCancelled, res.Status, r.id)
			assert.NoError(t, r.consoleErr, r.id)
			waitDecided(t, slack, r.id, "rejected by bob@bastion")
			require.Eventually(t, func() bool {
				for _, e := range slack.Ephemerals() {
					if strings.Contains(e.Text, "Not approved") && strings.Contains(e.Text, "already decided by bob@bastion") {
						return true
					}
				}
				return false
			}, 20*time.Second, 100*time.Millisecond, "%s: ana is told her click came too late", r.id)
		default:
			t.Fatalf("%s decided by %q, neither racer", r.id, res.Approver)
		}
		phase := contract.PhaseCancelled
		if res.Status == contract.StatusCompleted {
			phase = contract.PhaseCompleted
		}
		doc := waitPhase(t, srv.Client, r.id, phase)
		require.NotNil(t, doc.Approval)
		assert.Equal(t, res.Approver, doc.Approval.Approver, "%s: history holds the one decision the result reports", r.id)
	}
	t.Logf("Slack won %d of %d races", slackWins, runs)
}
