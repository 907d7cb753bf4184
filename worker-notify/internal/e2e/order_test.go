package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit/channelfakes"
	"github.com/matih/ops/worker-notify/internal/pagerduty"
)

// TestARetriedTriggerStillLandsBeforeItsResolve: a run's quality issue pages, and
// PagerDuty answers its trigger 500, so it is retried seconds later; the run's
// completion, sent right after, must not resolve the incident before it opens,
// which would leave it open for a run that is done.
func TestARetriedTriggerStillLandsBeforeItsResolve(t *testing.T) {
	h := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h.pd.Push(channelfakes.Answer{Status: 500})
	const run = "0b5c-e2e-order"
	hdr := contract.NotificationHeader{WorkflowID: "pipeline-orders-order", PipelineID: "orders", Summary: "e2e"}
	send := func(n int, activity string, payload any, after string) client.WorkflowRun {
		raw, err := json.Marshal(payload)
		must(t, err)
		r, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: run + ".notify-" + itoa(n), TaskQueue: contract.NotifyQueue},
			contract.NotificationDeliveryWorkflow, contract.NotificationRequest{Activity: activity, Payload: raw, After: after})
		must(t, err)
		return r
	}
	first := send(1, contract.ActivityNotifyQualityIssue, contract.QualityIssueNotification{NotificationHeader: hdr, Score: 0.3, MinScore: 0.8}, "")
	second := send(2, contract.ActivityNotifyPipelineCompletion, contract.CompletionNotification{NotificationHeader: hdr, Status: contract.StatusCompleted, Rows: 10}, run+".notify-1")
	must(t, first.Get(ctx, nil))
	must(t, second.Get(ctx, nil))

	key := pagerduty.DedupKey(hdr.WorkflowID, contract.KindQualityIssue)
	var actions []string
	for _, ev := range h.pd.Events() {
		if ev.DedupKey == key {
			actions = append(actions, ev.Action)
		}
	}
	if !slices.Equal(actions, []string{"trigger", "resolve"}) {
		t.Fatalf("events for %s: %v, want the trigger, then its resolve", key, actions)
	}
	if got := h.pd.Incident(key); got != "resolved" {
		t.Fatalf("incident %q, want resolved", got)
	}
}
