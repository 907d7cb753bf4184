// Package notify holds the notification activities: each renders its payload once,
// routes it by severity, and delivers it to every routed channel plus the outbox,
// remembering across retries which channels already have it.
package notify

import (
	"context"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/worker-notify/internal/channel"
	"github.com/matih/ops/worker-notify/internal/email"
	"github.com/matih/ops/worker-notify/internal/outbox"
	"github.com/matih/ops/worker-notify/internal/pagerduty"
	"github.com/matih/ops/worker-notify/internal/route"
	"github.com/matih/ops/worker-notify/internal/secret"
	"github.com/matih/ops/worker-notify/internal/slack"
	"github.com/matih/ops/worker-notify/internal/slackbot"
)

// Activities holds the channels; a nil channel is not configured.
type Activities struct {
	Routing route.Routing
	Outbox  *outbox.Outbox
	Slack   *slack.Webhook
	// SlackBot, when configured, replaces the webhook: quality alerts carry Approve
	// and Reject, and a decision changes the alert to its outcome.
	SlackBot  *slackbot.Bot
	Email     *email.Sender
	PagerDuty *pagerduty.Client
	Redactor  *secret.Redactor
	Now       func() time.Time
}

// Registry is the part of a worker (or test environment) activities register with.
type Registry interface {
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// Register registers the activities under their contract names.
func (a *Activities) Register(reg Registry) {
	reg.RegisterActivityWithOptions(a.NotifyQualityIssue, activity.RegisterOptions{Name: contract.ActivityNotifyQualityIssue})
	reg.RegisterActivityWithOptions(a.NotifyPipelineCompletion, activity.RegisterOptions{Name: contract.ActivityNotifyPipelineCompletion})
	reg.RegisterActivityWithOptions(a.NotifyFailure, activity.RegisterOptions{Name: contract.ActivityNotifyFailure})
}

// NotifyQualityIssue asks for approval of a low-quality run, or, with a decision set,
// reports the decision and resolves the page the request opened.
func (a *Activities) NotifyQualityIssue(ctx context.Context, n contract.QualityIssueNotification) (contract.NotificationResult, error) {
	m, err := qualityMessage(n, a.Routing, a.now())
	if err != nil {
		return contract.NotificationResult{}, retry.Classify(err)
	}
	steps := a.routedSteps(m, n.Decision == "", &n)
	if n.Decision != "" {
		steps = append(steps, a.resolveSteps(m.WorkflowID, contract.KindQualityIssue)...)
		if a.SlackBot != nil && !slices.ContainsFunc(steps, func(s step) bool { return s.channel == channel.Slack }) {
			// The follow-up's routing may skip Slack; the alert is closed all the same.
			steps = append(steps, step{channel.Slack + ":decided", channel.Slack, func(ctx context.Context) error {
				_, err := a.SlackBot.Decided(ctx, n)
				return err
			}})
		}
	}
	return a.run(ctx, m, steps)
}

// NotifyPipelineCompletion reports a finished run and resolves any page the run
// opened (failure or quality), whatever the routing, when PagerDuty is configured.
func (a *Activities) NotifyPipelineCompletion(ctx context.Context, n contract.CompletionNotification) (contract.NotificationResult, error) {
	m, err := completionMessage(n, a.Routing, a.now())
	if err != nil {
		return contract.NotificationResult{}, retry.Classify(err)
	}
	steps := a.routedSteps(m, false, nil)
	if n.Status != contract.StatusFailed {
		steps = append(steps, a.resolveSteps(m.WorkflowID, contract.KindFailure, contract.KindQualityIssue)...)
	}
	return a.run(ctx, m, steps)
}

// NotifyFailure reports a failed run; by default it pages.
func (a *Activities) NotifyFailure(ctx context.Context, n contract.FailureNotification) (contract.NotificationResult, error) {
	m, err := failureMessage(n, a.Routing, a.now())
	if err != nil {
		return contract.NotificationResult{}, retry.Classify(err)
	}
	return a.run(ctx, m, a.routedSteps(m, true, nil))
}

// run prepends the outbox, which records every notification, and delivers.
func (a *Activities) run(ctx context.Context, m channel.Message, steps []step) (contract.NotificationResult, error) {
	var routed []string
	for _, s := range steps {
		if !slices.Contains(routed, s.channel) {
			routed = append(routed, s.channel)
		}
	}
	all := append([]step{{key: channel.Outbox, channel: channel.Outbox, send: func(context.Context) error {
		return a.Outbox.Send(m, routed)
	}}}, steps...)
	delivered, err := a.deliver(ctx, m, all)
	if err != nil {
		return contract.NotificationResult{}, err
	}
	activity.GetLogger(ctx).Info("notification delivered", "kind", m.Kind, "severity", m.Severity,
		"workflow_id", m.WorkflowID, "channels", delivered)
	return contract.NotificationResult{Delivered: delivered}, nil
}

// routedSteps are the deliveries the routing asks for; page says whether a routed
// PagerDuty opens an incident (completions and decisions never do). quality is the
// quality notification being sent, if it is one: the Slack bot asks or closes.
func (a *Activities) routedSteps(m channel.Message, page bool, quality *contract.QualityIssueNotification) []step {
	var steps []step
	for _, c := range a.Routing.Channels(m.PipelineID, m.Severity) {
		switch {
		case c == channel.Slack && a.SlackBot != nil:
			steps = append(steps, step{c, c, func(ctx context.Context) error { return a.botSend(ctx, m, quality) }})
		case c == channel.Slack && a.Slack != nil:
			steps = append(steps, step{c, c, func(ctx context.Context) error { return a.Slack.Send(ctx, m) }})
		case c == channel.Email && a.Email != nil:
			steps = append(steps, step{c, c, func(ctx context.Context) error { return a.Email.Send(ctx, m) }})
		case c == channel.PagerDuty && a.PagerDuty != nil && page:
			steps = append(steps, step{c + ":trigger", c, func(ctx context.Context) error { return a.PagerDuty.Trigger(ctx, m) }})
		case c == channel.PagerDuty && !page:
		default:
			steps = append(steps, step{c, c, func(context.Context) error {
				return channel.Permanent(c, "routed but not configured on this worker (%s)", route.Hint(c))
			}})
		}
	}
	return steps
}

// botSend posts through the Slack bot: an interactive alert for a quality issue,
// the alert changed to its outcome for a decision (a new message when the alert is
// not found), the plain message otherwise.
func (a *Activities) botSend(ctx context.Context, m channel.Message, quality *contract.QualityIssueNotification) error {
	switch {
	case quality != nil && quality.Decision == "":
		return a.SlackBot.AskApproval(ctx, m, *quality)
	case quality != nil:
		if updated, err := a.SlackBot.Decided(ctx, *quality); updated || err != nil {
			return err
		}
		return a.SlackBot.SendOutcome(ctx, m, *quality)
	}
	return a.SlackBot.Send(ctx, m)
}

// resolveSteps close the incidents of a workflow's event kinds when PagerDuty is set.
func (a *Activities) resolveSteps(workflowID string, kinds ...string) []step {
	if a.PagerDuty == nil {
		return nil
	}
	var steps []step
	for _, k := range kinds {
		steps = append(steps, step{channel.PagerDuty + ":resolve:" + k, channel.PagerDuty, func(ctx context.Context) error {
			return a.PagerDuty.Resolve(ctx, workflowID, k)
		}})
	}
	return steps
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
