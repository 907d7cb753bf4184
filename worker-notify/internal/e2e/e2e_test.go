// Package e2e runs the notification activities through a real Temporal dev server and
// worker, against local Slack, PagerDuty and SMTP servers.
package e2e

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/shared/testkit/channelfakes"
	"github.com/matih/ops/worker-notify/internal/config"
	"github.com/matih/ops/worker-notify/internal/delivery"
	"github.com/matih/ops/worker-notify/internal/outbox"
	"github.com/matih/ops/worker-notify/internal/pagerduty"
)

// Canary secrets: none of them may appear in workflow history.
const (
	canaryToken = "canary-slack-token-7c1d"
	canaryKey   = "canaryPDkey-00112233445566778899" // 32 characters
	canaryPass  = "canary-smtp-pass-e5f6"
)

// NotifyRun sends the three notifications a paging pipeline run produces.
func NotifyRun(ctx workflow.Context, score float64) ([]contract.NotificationResult, error) {
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	h := contract.NotificationHeader{WorkflowID: id, PipelineID: "orders", Summary: "e2e"}
	calls := []struct {
		name string
		in   any
	}{
		{contract.ActivityNotifyFailure, contract.FailureNotification{NotificationHeader: h, Error: "extract failed", Activity: "extract_data", Attempts: 3}},
		{contract.ActivityNotifyQualityIssue, contract.QualityIssueNotification{NotificationHeader: h, Score: score, MinScore: 0.8}},
		{contract.ActivityNotifyPipelineCompletion, contract.CompletionNotification{NotificationHeader: h, Status: contract.StatusCompleted, Rows: 10}},
	}
	var out []contract.NotificationResult
	for _, c := range calls {
		var res contract.NotificationResult
		if err := workflow.ExecuteActivity(retry.WithActivityOptions(ctx, c.name), c.name, c.in).Get(ctx, &res); err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

type harness struct {
	slack  *channelfakes.Slack
	pd     *channelfakes.PagerDuty
	smtp   *channelfakes.SMTP
	outbox string
	c      client.Client
}

func setup(t *testing.T) *harness {
	h := &harness{slack: channelfakes.NewSlack(t, canaryToken), pd: channelfakes.NewPagerDuty(t, canaryKey), smtp: channelfakes.NewSMTP(t, false, "notify", canaryPass)}
	dir := t.TempDir()
	passFile := filepath.Join(dir, "smtp-pass")
	routing := filepath.Join(dir, "routing.yaml")
	h.outbox = filepath.Join(dir, "outbox.jsonl")
	must(t, os.WriteFile(passFile, []byte(canaryPass+"\n"), 0o600))
	must(t, os.WriteFile(routing, []byte("routes:\n  critical: [pagerduty, slack, email]\n"), 0o600))
	t.Setenv(config.EnvSlackWebhook, h.slack.URL)
	t.Setenv(config.EnvPagerDutyKey, canaryKey)
	t.Setenv(config.EnvSMTPPassword+"_FILE", passFile)

	var cfg config.Config
	fs := flag.NewFlagSet("worker-notify", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	must(t, fs.Parse([]string{"--routing", routing, "--outbox", h.outbox, "--pagerduty-url", h.pd.Server.URL,
		"--smtp-host", h.smtp.Host, "--smtp-port", itoa(h.smtp.Port), "--smtp-username", "notify",
		"--smtp-from", "matih@example.com", "--smtp-to", "oncall@example.com", "--smtp-ca-file", h.smtp.CA.CAFile}))
	acts, err := cfg.Build(slog.New(slog.DiscardHandler))
	must(t, err)

	ds := testkit.StartDevServer(t)
	h.c = ds.Client
	w := worker.New(h.c, contract.NotifyQueue, worker.Options{})
	acts.Register(w)
	delivery.Register(w)
	w.RegisterWorkflowWithOptions(NotifyRun, workflow.RegisterOptions{Name: "NotifyRun"})
	must(t, w.Start())
	t.Cleanup(w.Stop)
	return h
}

func TestActivitiesThroughDevServer(t *testing.T) {
	h := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// Slack is rate limited once: the failure notification is retried after the
	// Retry-After second and must not page twice.
	h.slack.Push(channelfakes.Answer{Status: 429, RetryAfter: 1})
	run, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pipeline-orders-e2e-ok", TaskQueue: contract.NotifyQueue}, "NotifyRun", 0.3)
	must(t, err)
	var results []contract.NotificationResult
	must(t, run.Get(ctx, &results))

	// Slack went through on the retry, so it is delivered last.
	if len(results) != 3 || strings.Join(results[0].Delivered, ",") != "outbox,pagerduty,email,slack" {
		t.Fatalf("results %+v", results)
	}
	id := run.GetID()
	triggers, resolves := 0, 0
	for _, ev := range h.pd.Events() {
		switch ev.Action {
		case "trigger":
			triggers++
		case "resolve":
			resolves++
		}
	}
	if triggers != 2 || resolves != 2 || h.pd.Attempts() != 4 {
		t.Fatalf("pagerduty: %d triggers, %d resolves, %d requests; want 2, 2, 4", triggers, resolves, h.pd.Attempts())
	}
	for _, kind := range []string{contract.KindFailure, contract.KindQualityIssue} {
		if got := h.pd.Incident(pagerduty.DedupKey(id, kind)); got != "resolved" {
			t.Errorf("%s incident %q, want resolved", kind, got)
		}
	}
	if h.slack.Attempts() != 4 || len(h.slack.Messages()) != 3 {
		t.Errorf("slack: %d requests, %d messages; want 4 (one 429) and 3", h.slack.Attempts(), len(h.slack.Messages()))
	}
	if n := len(h.smtp.Mails()); n != 2 {
		t.Errorf("%d mails, want 2 (both critical notifications)", n)
	}
	lines, err := outbox.ReadAll(h.outbox)
	must(t, err)
	if len(lines) != 3 {
		t.Errorf("%d outbox lines, want 3", len(lines))
	}

	// PagerDuty refuses the next event and echoes the routing key in its answer: the
	// activity fails for good, and the key must not reach the history.
	h.pd.EchoKeyOn400 = true
	h.pd.Push(channelfakes.Answer{Status: 400})
	bad, err := h.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pipeline-orders-e2e-rejected", TaskQueue: contract.NotifyQueue}, "NotifyRun", 0.9)
	must(t, err)
	err = bad.Get(ctx, nil)
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != "NotificationRejectedError" {
		t.Fatalf("want the rejection, got %v", err)
	}

	okHistory := testkit.DecodedHistory(t, h.c, run.GetID())
	badHistory := testkit.DecodedHistory(t, h.c, bad.GetID())
	if !strings.Contains(badHistory, "[redacted]") {
		t.Errorf("the rejection should show where the key was scrubbed")
	}
	if !strings.Contains(okHistory, `"summary"`) {
		t.Fatalf("the decoded history should hold the notifications' payloads")
	}
	testkit.NoSecretIn(t, "the delivered run's history", okHistory, canaryToken, h.slack.URL, canaryKey, canaryPass)
	testkit.NoSecretIn(t, "the rejected run's history", badHistory, canaryToken, h.slack.URL, canaryKey, canaryPass)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
