package notify_test

import (
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit/channelfakes"
	"github.com/matih/ops/worker-notify/internal/email"
	"github.com/matih/ops/worker-notify/internal/notify"
	"github.com/matih/ops/worker-notify/internal/outbox"
	"github.com/matih/ops/worker-notify/internal/pagerduty"
	"github.com/matih/ops/worker-notify/internal/route"
	"github.com/matih/ops/worker-notify/internal/secret"
	"github.com/matih/ops/worker-notify/internal/slack"
)

const (
	pdKey    = "PDKEY-canary-0123456789abcdefghi" // 32 characters
	smtpPass = "smtp-canary-password"
	wf       = "pipeline-orders-2026-02-12T06:00:00Z"
)

// rig is the activities wired to local Slack, PagerDuty and SMTP servers.
type rig struct {
	acts       *notify.Activities
	slack      *channelfakes.Slack
	pd         *channelfakes.PagerDuty
	smtp       *channelfakes.SMTP
	outboxPath string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{slack: channelfakes.NewSlack(t, "slack-canary-token"), pd: channelfakes.NewPagerDuty(t, pdKey),
		smtp: channelfakes.NewSMTP(t, false, "notify", smtpPass), outboxPath: filepath.Join(t.TempDir(), "outbox.jsonl")}
	hc := &http.Client{Timeout: 5 * time.Second}
	red := &secret.Redactor{}
	red.Add(r.slack.URL, r.slack.Token, pdKey, smtpPass)
	ob, err := outbox.Open(r.outboxPath)
	must(t, err)
	sw, err := slack.New(r.slack.URL, hc)
	must(t, err)
	pd, err := pagerduty.New(pdKey, r.pd.Server.URL, hc)
	must(t, err)
	es, err := email.New(email.Config{Host: r.smtp.Host, Port: r.smtp.Port, Mode: email.ModeSTARTTLS,
		Username: "notify", Password: smtpPass, From: "matih@example.com", To: []string{"oncall@example.com"},
		CAFile: r.smtp.CA.CAFile, Timeout: 5 * time.Second})
	must(t, err)
	all := map[string]bool{"outbox": true, "slack": true, "email": true, "pagerduty": true}
	r.acts = &notify.Activities{Routing: route.Default(all), Outbox: ob, Slack: sw, Email: es, PagerDuty: pd, Redactor: red}
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// env is an activity test environment that keeps the last heartbeat details, so a
// test can hand them to the next attempt the way the server does.
type env struct {
	*testsuite.TestActivityEnvironment
	mu   sync.Mutex
	last *notify.Progress
}

func newEnv(t *testing.T, r *rig) *env {
	var s testsuite.WorkflowTestSuite
	e := &env{TestActivityEnvironment: s.NewTestActivityEnvironment()}
	r.acts.Register(e)
	e.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		var p notify.Progress
		if err := d.Get(&p); err != nil {
			t.Errorf("heartbeat details: %v", err)
		}
		e.mu.Lock()
		e.last = &p
		e.mu.Unlock()
	})
	return e
}

// RegisterActivityWithOptions lets *env serve as a notify.Registry.
func (e *env) RegisterActivityWithOptions(a any, o activity.RegisterOptions) {
	e.TestActivityEnvironment.RegisterActivityWithOptions(a, o)
}

// retry runs the next attempt with the last recorded heartbeat details.
func (e *env) retry() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last != nil {
		e.SetHeartbeatDetails(*e.last)
	}
}

func run(e *env, name string, in any) (contract.NotificationResult, error) {
	var res contract.NotificationResult
	v, err := e.ExecuteActivity(name, in)
	if err == nil {
		err = v.Get(&res)
	}
	return res, err
}

func header(summary string) contract.NotificationHeader {
	return contract.NotificationHeader{WorkflowID: wf, PipelineID: "orders", Summary: summary}
}

func failure() contract.FailureNotification {
	return contract.FailureNotification{NotificationHeader: header("load failed"), Error: "commit conflict", Activity: "load_to_iceberg", Attempts: 3}
}

func quality(score float64) contract.QualityIssueNotification {
	return contract.QualityIssueNotification{NotificationHeader: header("quality below threshold"), Score: score, MinScore: 0.8,
		FailingChecks:    []contract.CheckResult{{Name: "customer_id not null", Type: "not_null", FailedRows: 12, TotalRows: 1000}},
		ApprovalDeadline: time.Date(2026, 2, 12, 10, 0, 0, 0, time.UTC)}
}

func (r *rig) outboxLines(t *testing.T) []outbox.Line {
	lines, err := outbox.ReadAll(r.outboxPath)
	must(t, err)
	return lines
}

func TestSeverityRouting(t *testing.T) {
	cases := []struct {
		name      string
		activity  string
		in        any
		severity  string
		delivered []string
	}{
		{"failure pages", contract.ActivityNotifyFailure, failure(), "critical", []string{"outbox", "pagerduty", "slack"}},
		{"quality warning", contract.ActivityNotifyQualityIssue, quality(0.7), "warning", []string{"outbox", "slack", "email"}},
		{"quality critical", contract.ActivityNotifyQualityIssue, quality(0.3), "critical", []string{"outbox", "pagerduty", "slack"}},
		{"completion", contract.ActivityNotifyPipelineCompletion, contract.CompletionNotification{NotificationHeader: header("done"), Status: "COMPLETED", Rows: 42}, "info", []string{"outbox", "slack", "pagerduty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			res, err := run(newEnv(t, r), c.activity, c.in)
			must(t, err)
			if !slices.Equal(res.Delivered, c.delivered) {
				t.Fatalf("delivered %v, want %v", res.Delivered, c.delivered)
			}
			lines := r.outboxLines(t)
			if len(lines) != 1 || lines[0].Severity != c.severity || lines[0].WorkflowID != wf {
				t.Fatalf("outbox %+v", lines)
			}
			wantMail := slices.Contains(c.delivered, "email")
			if got := len(r.smtp.Mails()); got != map[bool]int{true: 1}[wantMail] {
				t.Errorf("%d mails", got)
			}
			if len(r.slack.Messages()) != 1 {
				t.Errorf("%d slack messages", len(r.slack.Messages()))
			}
		})
	}
}

func TestPerPipelineOverride(t *testing.T) {
	r := newRig(t)
	routing, err := route.Parse([]byte("pipelines:\n  orders:\n    critical_below: 0.9\n    routes:\n      critical: [email]\n"),
		map[string]bool{"outbox": true, "slack": true, "email": true, "pagerduty": true})
	must(t, err)
	r.acts.Routing = routing
	res, err := run(newEnv(t, r), contract.ActivityNotifyQualityIssue, quality(0.85))
	must(t, err)
	if !slices.Equal(res.Delivered, []string{"outbox", "email"}) || len(r.pd.Events()) != 0 || len(r.slack.Messages()) != 0 {
		t.Fatalf("delivered %v, pd %d, slack %d", res.Delivered, len(r.pd.Events()), len(r.slack.Messages()))
	}
	other := quality(0.85)
	other.PipelineID = "billing"
	res, err = run(newEnv(t, r), contract.ActivityNotifyQualityIssue, other)
	must(t, err)
	if !slices.Equal(res.Delivered, []string{"outbox", "slack", "email"}) {
		t.Fatalf("other pipeline delivered %v", res.Delivered)
	}
}

func TestCompletionResolvesWhatTheWorkflowPaged(t *testing.T) {
	r := newRig(t)
	_, err := run(newEnv(t, r), contract.ActivityNotifyFailure, failure())
	must(t, err)
	_, err = run(newEnv(t, r), contract.ActivityNotifyQualityIssue, quality(0.2))
	must(t, err)
	fk, qk := pagerduty.DedupKey(wf, contract.KindFailure), pagerduty.DedupKey(wf, contract.KindQualityIssue)
	if r.pd.Incident(fk) != "triggered" || r.pd.Incident(qk) != "triggered" {
		t.Fatalf("incidents %q %q", r.pd.Incident(fk), r.pd.Incident(qk))
	}
	_, err = run(newEnv(t, r), contract.ActivityNotifyPipelineCompletion,
		contract.CompletionNotification{NotificationHeader: header("done"), Status: "COMPLETED", Rows: 7, Duration: contract.Duration(time.Minute)})
	must(t, err)
	if r.pd.Incident(fk) != "resolved" || r.pd.Incident(qk) != "resolved" {
		t.Fatalf("after completion %q %q", r.pd.Incident(fk), r.pd.Incident(qk))
	}
	if n := len(r.pd.Events()); n != 4 {
		t.Fatalf("%d events, want 2 triggers and 2 resolves", n)
	}
}

func TestApprovalResolvesTheQualityPage(t *testing.T) {
	r := newRig(t)
	_, err := run(newEnv(t, r), contract.ActivityNotifyQualityIssue, quality(0.2))
	must(t, err)
	approved := quality(0.2)
	approved.Decision, approved.Approver = contract.DecisionApproved, "alice"
	res, err := run(newEnv(t, r), contract.ActivityNotifyQualityIssue, approved)
	must(t, err)
	qk := pagerduty.DedupKey(wf, contract.KindQualityIssue)
	if r.pd.Incident(qk) != "resolved" || len(r.pd.Events()) != 2 {
		t.Fatalf("incident %q after %d events", r.pd.Incident(qk), len(r.pd.Events()))
	}
	if !slices.Equal(res.Delivered, []string{"outbox", "slack", "pagerduty"}) {
		t.Fatalf("delivered %v", res.Delivered)
	}
	if last := r.outboxLines(t)[1]; last.Severity != "info" || !strings.Contains(last.Title, "approved by alice") {
		t.Fatalf("outbox line %+v", last)
	}
}

func TestPartialFailureThenRetrySendsNothingTwice(t *testing.T) {
	r := newRig(t)
	e := newEnv(t, r)
	r.slack.Push(channelfakes.Answer{Status: 500})
	_, err := run(e, contract.ActivityNotifyFailure, failure())
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.NonRetryable() || ae.Type() != notify.ErrTypeDelivery {
		t.Fatalf("want a retryable delivery error, got %v", err)
	}
	if !strings.Contains(err.Error(), "slack: service unavailable") || !strings.Contains(err.Error(), "delivered: outbox, pagerduty") {
		t.Fatalf("error %v", err)
	}
	if len(r.pd.Events()) != 1 || len(r.outboxLines(t)) != 1 {
		t.Fatalf("first attempt: pd %d, outbox %d", len(r.pd.Events()), len(r.outboxLines(t)))
	}
	e.retry()
	res, err := run(e, contract.ActivityNotifyFailure, failure())
	must(t, err)
	if !slices.Equal(res.Delivered, []string{"outbox", "pagerduty", "slack"}) {
		t.Fatalf("delivered %v", res.Delivered)
	}
	if r.pd.Attempts() != 1 || len(r.outboxLines(t)) != 1 || r.slack.Attempts() != 2 || len(r.slack.Messages()) != 1 {
		t.Fatalf("after retry: pd %d, outbox %d, slack attempts %d", r.pd.Attempts(), len(r.outboxLines(t)), r.slack.Attempts())
	}
}

func TestRateLimitSetsNextRetryDelay(t *testing.T) {
	r := newRig(t)
	r.slack.Push(channelfakes.Answer{Status: 429, RetryAfter: 3})
	r.pd.Push(channelfakes.Answer{Status: 429, RetryAfter: 7})
	_, err := run(newEnv(t, r), contract.ActivityNotifyFailure, failure())
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.NonRetryable() || ae.NextRetryDelay() != 7*time.Second {
		t.Fatalf("want retry after 7s, got %v", err)
	}
}

func TestRejectedChannelIsFinalAndNotRetried(t *testing.T) {
	r := newRig(t)
	e := newEnv(t, r)
	r.slack.Push(channelfakes.Answer{Status: 404})
	r.pd.Push(channelfakes.Answer{Status: 503})
	_, err := run(e, contract.ActivityNotifyFailure, failure())
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.NonRetryable() {
		t.Fatalf("a 503 elsewhere keeps the activity retryable, got %v", err)
	}
	e.retry()
	_, err = run(e, contract.ActivityNotifyFailure, failure())
	if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != notify.ErrTypeRejected || !strings.Contains(err.Error(), "no_service") {
		t.Fatalf("want the 404 as a final error, got %v", err)
	}
	if r.slack.Attempts() != 1 || len(r.pd.Events()) != 1 || len(r.outboxLines(t)) != 1 {
		t.Fatalf("slack attempts %d (want 1), pd events %d, outbox %d", r.slack.Attempts(), len(r.pd.Events()), len(r.outboxLines(t)))
	}
}

func TestErrorsNeverCarrySecrets(t *testing.T) {
	r := newRig(t)
	r.pd.EchoKeyOn400 = true
	r.pd.Push(channelfakes.Answer{Status: 400})
	_, err := run(newEnv(t, r), contract.ActivityNotifyFailure, failure())
	if err == nil || strings.Contains(err.Error(), pdKey) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("got %v", err)
	}
}

func TestInvalidPayloadsAreNonRetryable(t *testing.T) {
	r := newRig(t)
	cases := []struct {
		activity string
		in       any
		field    string
	}{
		{contract.ActivityNotifyFailure, contract.FailureNotification{Error: "x"}, "workflow_id"},
		{contract.ActivityNotifyFailure, contract.FailureNotification{NotificationHeader: header("s")}, "error"},
		{contract.ActivityNotifyQualityIssue, quality(1.5), "score"},
		{contract.ActivityNotifyPipelineCompletion, contract.CompletionNotification{NotificationHeader: contract.NotificationHeader{WorkflowID: wf, PipelineID: "p", Severity: "urgent"}}, "severity"},
	}
	for _, c := range cases {
		_, err := run(newEnv(t, r), c.activity, c.in)
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != contract.ErrTypeValidation || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
	if _, err := outbox.ReadAll(r.outboxPath); err != nil || len(r.outboxLines(t)) != 0 {
		t.Fatalf("invalid input reached the outbox")
	}
}
