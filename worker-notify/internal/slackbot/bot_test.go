package slackbot

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-notify/internal/channel"
)

var now = time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)

func lowQuality() contract.QualityIssueNotification {
	return contract.QualityIssueNotification{
		NotificationHeader: contract.NotificationHeader{WorkflowID: "pipeline-orders-1", PipelineID: "orders", Severity: "critical"},
		Score:              0.5, MinScore: 0.9, ApprovalDeadline: now.Add(4 * time.Hour),
		FailingChecks: []contract.CheckResult{{Name: "not_null(amount)", FailedRows: 241, TotalRows: 1000,
			Samples: []string{"order_id=77 email=ana@example.com"}}},
	}
}

func newBot(t *testing.T, s *testkit.SlackServer, token string) *Bot {
	b, err := New(Config{Token: token, Channels: map[string]string{"critical": "C0CRIT", "": "C0INFO"},
		WebUI: "https://temporal.example.com/namespaces/matih-pipelines", APIURL: s.URL}, http.DefaultClient, func() time.Time { return now })
	require.NoError(t, err)
	return b
}

func TestTheAlertAsksAndItsOutcomeReplacesTheButtons(t *testing.T) {
	s := testkit.StartSlackServer(t, "C0CRIT", "C0INFO")
	b := newBot(t, s, s.Token)
	n := lowQuality()
	ctx := context.Background()
	require.NoError(t, b.AskApproval(ctx, channel.Message{Severity: "critical", WorkflowID: n.WorkflowID}, n))

	msgs := s.Messages("C0CRIT")
	require.Len(t, msgs, 1)
	blocks := string(msgs[0].Blocks)
	for _, want := range []string{contract.SlackActionApprove, contract.SlackActionReject, contract.SlackActionOpen,
		"0.500, below the minimum 0.900", "24.1% of 1000 rows failed", "4h0m0s", "/workflows/pipeline-orders-1"} {
		assert.Contains(t, blocks, want)
	}
	assert.NotContains(t, blocks, "ana@example.com", "no sample value leaves for Slack")
	assert.Contains(t, string(msgs[0].Metadata), contract.SlackEventApproval)

	n.Decision, n.Approver, n.Reason = contract.DecisionApproved, "ana@matih (slack U0123)", "late feed, known"
	updated, err := b.Decided(ctx, n)
	require.NoError(t, err)
	assert.True(t, updated)
	msgs = s.Messages("C0CRIT")
	require.Len(t, msgs, 1, "the alert is changed, not answered with a new message")
	assert.Equal(t, 1, msgs[0].Edits)
	assert.NotContains(t, string(msgs[0].Blocks), contract.SlackActionApprove, "no stale buttons")
	assert.Contains(t, string(msgs[0].Blocks), "approved by ana@matih (slack U0123)")
	assert.Contains(t, string(msgs[0].Blocks), "late feed, known")

	other := n
	other.WorkflowID = "pipeline-never-posted"
	updated, err = b.Decided(ctx, other)
	require.NoError(t, err)
	assert.False(t, updated, "no alert to change: the caller posts the news instead")

	// The alert asked again (a retried delivery) is not posted twice.
	require.NoError(t, b.AskApproval(ctx, channel.Message{Severity: "critical", WorkflowID: n.WorkflowID}, lowQuality()))
	assert.Len(t, s.Messages("C0CRIT"), 1, "one alert per run")
}

// The run was decided before its alert could be posted (the alert's delivery lost
// its worker, or was rate limited): the outcome, posted first, is marked as the
// run's, and the late alert is not posted, so no button is left stale.
func TestALateAlertIsNotPostedOverItsOutcome(t *testing.T) {
	s := testkit.StartSlackServer(t, "C0CRIT", "C0INFO")
	b := newBot(t, s, s.Token)
	ctx := context.Background()
	decided := lowQuality()
	decided.Decision, decided.Approver = contract.DecisionRejected, "bob@bastion"
	m := channel.Message{Severity: "critical", WorkflowID: decided.WorkflowID, Title: "orders rejected by bob@bastion"}
	updated, err := b.Decided(ctx, decided)
	require.NoError(t, err)
	require.False(t, updated)
	require.NoError(t, b.SendOutcome(ctx, m, decided))

	require.NoError(t, b.AskApproval(ctx, channel.Message{Severity: "critical", WorkflowID: decided.WorkflowID}, lowQuality()))
	msgs := s.Messages("C0CRIT")
	require.Len(t, msgs, 1, "only the outcome")
	assert.NotContains(t, string(msgs[0].Blocks), contract.SlackActionApprove, "no stale buttons")
	assert.Contains(t, string(msgs[0].Metadata), `"decision"`)
}

func TestSlackErrorsAreRetriedOrFinal(t *testing.T) {
	s := testkit.StartSlackServer(t, "C0CRIT", "C0INFO")
	n := lowQuality()
	m := channel.Message{Severity: "critical", WorkflowID: n.WorkflowID}
	ctx := context.Background()

	s.RateLimit(1)
	err := newBot(t, s, s.Token).AskApproval(ctx, m, n)
	var ce *channel.Error
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.True(t, ce.Retryable, "ratelimited is retried")
	assert.Equal(t, time.Second, ce.RetryAfter, "after Slack's Retry-After")

	err = newBot(t, s, "xoxb-revoked").AskApproval(ctx, m, n)
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.False(t, ce.Retryable, "invalid_auth is final: %v", err)
	assert.Contains(t, err.Error(), "invalid_auth")

	b, err := New(Config{Token: s.Token, Channels: map[string]string{"": "C0GONE"}, APIURL: s.URL}, http.DefaultClient, time.Now)
	require.NoError(t, err)
	err = b.AskApproval(ctx, m, n)
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.False(t, ce.Retryable)
	assert.Contains(t, err.Error(), "channel_not_found")
}

func TestBadBotSettingsAreNamed(t *testing.T) {
	_, err := New(Config{Token: "xoxp-user", Channels: map[string]string{"": "C1"}}, nil, time.Now)
	assert.ErrorContains(t, err, "bot token (xoxb-...)")
	_, err = ParseChannels("critical=C1,urgent=C2")
	assert.ErrorContains(t, err, `severity "urgent"`)
	_, err = ParseChannels("#alerts")
	assert.ErrorContains(t, err, "channel id")
	got, err := ParseChannels("critical=C1, C2")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"critical": "C1", "": "C2"}, got)
}
