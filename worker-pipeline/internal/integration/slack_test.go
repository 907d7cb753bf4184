package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestApprovalsFromTheSlackAlert runs the real stack (dev server, pipeline and
// notify worker processes, matih serve) against Slack's contract server: a
// low-quality run posts an interactive alert; Approve in Slack completes it with
// the mapped person as approver; Reject in Slack cancels another; a third run,
// approved from the console, has its alert changed too; and a click on a run
// no longer waiting changes nothing. No alert keeps its buttons.
func TestApprovalsFromTheSlackAlert(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: worker processes, matih serve and Slack's contract server")
	}
	srv, slack, s, interactions := slackStack(t)

	dirty, _ := s.source(t, 400, 0.3)
	ana := testkit.SlackUser{ID: "U0ANA", Name: "ana"}
	ctx := context.Background()
	var res contract.PipelineResult

	// Approved in Slack.
	approved := s.start(t, "pipeline-slack-approved", cfgFor(dirty, "analytics.slack_approved"))
	alert := waitAlert(t, slack, approved.GetID())
	blocks := string(alert.Blocks)
	assert.Contains(t, blocks, contract.SlackActionApprove)
	assert.Contains(t, blocks, "of 400 rows failed")
	slackDecide(t, slack, interactions, ana, contract.SlackActionApprove, alert, "nulls are a known late feed, OPS-12")
	require.NoError(t, approved.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "ana@matih (slack U0ANA)", res.Approver, "the approver is who the server says, with where they decided")
	assert.Equal(t, "nulls are a known late feed, OPS-12", res.ApprovalReason)
	waitDecided(t, slack, approved.GetID(), "approved by ana@matih (slack U0ANA)")

	// Rejected in Slack.
	rejected := s.start(t, "pipeline-slack-rejected", cfgFor(dirty, "analytics.slack_rejected"))
	slackDecide(t, slack, interactions, ana, contract.SlackActionReject, waitAlert(t, slack, rejected.GetID()), "too many nulls")
	require.NoError(t, rejected.Get(ctx, &res))
	assert.Equal(t, contract.StatusCancelled, res.Status)
	waitDecided(t, slack, rejected.GetID(), "rejected by ana@matih (slack U0ANA)")

	// Approved in the console: the alert changes all the same.
	console := s.start(t, "pipeline-slack-console", cfgFor(dirty, "analytics.slack_console"))
	stale := waitAlert(t, slack, console.GetID())
	assert.True(t, approve(t, srv.Client, console.GetID(), "bob@bastion", "checked in the console").Approved)
	require.NoError(t, console.Get(ctx, &res))
	waitDecided(t, slack, console.GetID(), "approved by bob@bastion")

	// A click on the stale copy of that alert: told it was decided, nothing sent.
	slackDecide(t, slack, interactions, ana, contract.SlackActionReject, stale, "late click")
	require.Eventually(t, func() bool {
		eph := slack.Ephemerals()
		return len(eph) > 0 && strings.Contains(eph[len(eph)-1].Text, "already decided by bob@bastion (approved)")
	}, 20*time.Second, 100*time.Millisecond, "the late clicker is told who decided")
	require.NoError(t, console.Get(ctx, &res))
	assert.Equal(t, "bob@bastion", res.Approver)

	// Four eyes: ana started this run, so her click from Slack is refused and she is
	// told why; the run still waits.
	cfg := cfgFor(dirty, "analytics.slack_four_eyes")
	cfg.FourEyes, cfg.StartedBy = true, "ana@matih"
	own := s.start(t, "pipeline-slack-four-eyes", cfg)
	slackDecide(t, slack, interactions, ana, contract.SlackActionApprove, waitAlert(t, slack, own.GetID()), "my own run")
	require.Eventually(t, func() bool {
		eph := slack.Ephemerals()
		return len(eph) > 0 && strings.Contains(eph[len(eph)-1].Text, "four eyes: ana@matih started this run")
	}, 20*time.Second, 100*time.Millisecond, "the starter is told the four-eyes rule")
	doc := waitPhase(t, srv.Client, own.GetID(), contract.PhaseAwaitingApproval)
	assert.False(t, doc.Approval.Decided, "the run still waits for someone else")
	require.NoError(t, srv.Client.CancelWorkflow(ctx, own.GetID(), ""))

	// Nobody decides in time: the alert says so and loses its buttons.
	late := cfgFor(dirty, "analytics.slack_timeout")
	late.ApprovalTimeout = contract.Duration(3 * time.Second)
	timedOut := s.start(t, "pipeline-slack-timeout", late)
	waitAlert(t, slack, timedOut.GetID())
	require.NoError(t, timedOut.Get(ctx, &res))
	assert.Equal(t, contract.StatusCancelled, res.Status)
	waitDecided(t, slack, timedOut.GetID(), "rejected by approval timeout")
}

// slackStack is a dev stack whose notify worker posts to Slack's contract server
// with a bot token (channel C0ALERTS), the pipeline worker, and matih serve taking
// the interactions at the returned URL.
func slackStack(t testing.TB) (*testkit.DevServer, *testkit.SlackServer, *stack, string) {
	srv := testkit.StartDevServer(t)
	slack := testkit.StartSlackServer(t, "C0ALERTS")
	s := newStackWithoutNotify(t, srv)
	dir := t.TempDir()
	notifyHTTP := testkit.FreeAddr(t)
	notify := testkit.Start(t, testkit.Build(t, notifyBin), []string{"--address", srv.HostPort, "--http-addr", notifyHTTP,
		"--stop-timeout", "2s", "--data-dir", dir, "--log-level", "warn", "--slack-channels", "C0ALERTS", "--slack-api-url", slack.URL},
		[]string{"MATIH_SLACK_BOT_TOKEN=" + slack.Token}, dir)
	notify.WaitReady(t, notifyHTTP, 30*time.Second)
	testkit.PromoteReady(t, srv.Client, notifyHTTP)
	s.startWorker(t, nil)
	return srv, slack, s, startServeWithSlack(t, srv, slack, dir)
}

// startServeWithSlack runs matih serve with the Slack route; it returns the route's URL.
func startServeWithSlack(t testing.TB, srv *testkit.DevServer, slack *testkit.SlackServer, dir string) string {
	users := filepath.Join(dir, "slack-users.yaml")
	require.NoError(t, os.WriteFile(users, []byte("users:\n  - {slack: U0ANA, identity: ana@matih, scopes: [read, approve]}\n"), 0o600))
	addr := testkit.FreeAddr(t)
	testkit.Start(t, testkit.Build(t, matihBin), []string{"serve", "--listen", addr, "--address", srv.HostPort,
		"--namespace", srv.Namespace, "--slack-users", users, "--slack-api-url", slack.URL, "--audit-log", filepath.Join(dir, "audit.log")},
		append(srv.ClientEnv(t, "writer", "serve"), "MATIH_SLACK_SIGNING_SECRET="+slack.SigningSecret, "MATIH_SLACK_BOT_TOKEN="+slack.Token), dir)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		logs, _ := filepath.Glob(filepath.Join(dir, "matih-*.log"))
		for _, f := range append(logs, filepath.Join(dir, "audit.log")) {
			b, _ := os.ReadFile(f)
			t.Logf("%s:\n%s", filepath.Base(f), b)
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "matih serve answers")
	return "http://" + addr + "/v1/slack/interactions"
}

// waitAlert waits for the run's interactive alert in the channel.
func waitAlert(t testing.TB, slack *testkit.SlackServer, id string) testkit.SlackMessage {
	var found testkit.SlackMessage
	require.Eventually(t, func() bool {
		for _, m := range slack.Messages("C0ALERTS") {
			var md struct {
				EventType    string         `json:"event_type"`
				EventPayload map[string]any `json:"event_payload"`
			}
			if json.Unmarshal(m.Metadata, &md) == nil && md.EventType == contract.SlackEventApproval && md.EventPayload["workflow_id"] == id {
				found = m
				return true
			}
		}
		return false
	}, 60*time.Second, 100*time.Millisecond, "the alert of %s reaches the channel", id)
	return found
}

// waitDecided waits until the run's alert shows its outcome and no buttons.
func waitDecided(t *testing.T, slack *testkit.SlackServer, id, outcome string) {
	require.Eventually(t, func() bool {
		for _, m := range slack.Messages("C0ALERTS") {
			if strings.Contains(string(m.Metadata), id) || strings.Contains(string(m.Blocks), id) {
				b := string(m.Blocks)
				if strings.Contains(b, outcome) && !strings.Contains(b, contract.SlackActionApprove) {
					return true
				}
			}
		}
		return false
	}, 60*time.Second, 200*time.Millisecond, "the alert of %s shows %q without buttons", id, outcome)
}

// slackDecide clicks a button of the alert and submits the modal with reason.
func slackDecide(t *testing.T, slack *testkit.SlackServer, target string, u testkit.SlackUser, action string, alert testkit.SlackMessage, reason string) {
	trigger, resp := slack.Click(t, target, u, action, alert)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Eventually(t, func() bool { _, ok := slack.View(trigger); return ok }, 5*time.Second, 20*time.Millisecond, "the reason modal opens")
	resp = slack.Submit(t, target, u, trigger, contract.SlackReasonBlock, contract.SlackReasonAction, reason)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// BenchmarkApprovalRoundTripSlack measures an approval from the Slack alert beside
// the console's, on one stack in one run: from the modal's submission reaching
// matih serve to the next activity of the run starting on the real worker, and the
// same from the console's update. Runs alternate between the two. It also reports
// the click's answer and the modal opening (Slack allows 3 s).
func BenchmarkApprovalRoundTripSlack(b *testing.B) {
	n := testkit.EnvInt(b, "MATIH_BENCH_APPROVALS", 40, 2)
	srv, slack, s, target := slackStack(b)
	db, _ := s.source(b, 2000, 0.3)
	ana := testkit.SlackUser{ID: "U0ANA", Name: "ana"}
	for i := 0; i < b.N; i++ {
		var fromSlack, fromConsole, answers, modals []time.Duration
		for k := 0; k < n; k++ {
			id := fmt.Sprintf("pipeline-slack-bench-%d-%03d", i, k)
			run := s.start(b, id, cfgFor(db, fmt.Sprintf("analytics.slack_bench_%d_%03d", i, k)))
			if k%2 == 1 {
				waitPhase(b, srv.Client, id, contract.PhaseAwaitingApproval)
				sent := time.Now()
				approve(b, srv.Client, id, "bench@bastion", "round trip")
				require.NoError(b, run.Get(context.Background(), nil))
				started, _ := nextActivity(b, srv.Client, id)
				fromConsole = append(fromConsole, started.Sub(sent))
				continue
			}
			alert := waitAlert(b, slack, id)
			clicked := time.Now()
			trigger, resp := slack.Click(b, target, ana, contract.SlackActionApprove, alert)
			answers = append(answers, time.Since(clicked))
			resp.Body.Close()
			require.Eventually(b, func() bool { _, ok := slack.View(trigger); return ok }, 5*time.Second, 2*time.Millisecond)
			modals = append(modals, time.Since(clicked))
			sent := time.Now()
			resp = slack.Submit(b, target, ana, trigger, contract.SlackReasonBlock, contract.SlackReasonAction, "round trip")
			resp.Body.Close()
			require.NoError(b, run.Get(context.Background(), nil))
			started, _ := nextActivity(b, srv.Client, id)
			fromSlack = append(fromSlack, started.Sub(sent))
		}
		b.ReportMetric(testkit.QuantileMs(fromSlack, 0.50), "slack-start-p50-ms")
		b.ReportMetric(testkit.QuantileMs(fromSlack, 0.99), "slack-start-p99-ms")
		b.ReportMetric(testkit.QuantileMs(fromConsole, 0.50), "console-start-p50-ms")
		b.ReportMetric(testkit.QuantileMs(fromConsole, 0.99), "console-start-p99-ms")
		b.ReportMetric(testkit.QuantileMs(fromSlack, 0.50)/testkit.QuantileMs(fromConsole, 0.50), "slack/console")
		b.ReportMetric(testkit.QuantileMs(answers, 0.99), "click-answer-p99-ms")
		b.ReportMetric(testkit.QuantileMs(modals, 0.99), "modal-open-p99-ms")
	}
}
