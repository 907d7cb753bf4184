// Package slack posts notifications to a Slack incoming webhook as Block Kit messages
// that name the workflow and the console command that opens it.
//
// The Block Kit and webhook types come from slack-go; the POST is ours because the
// library's webhook helper drops Slack's error body ("invalid_blocks", "no_service")
// and fails on a Retry-After given as a date.
package slack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/matih/ops/worker-notify/internal/channel"
)

// Slack's limits for the blocks we use.
const (
	maxHeader  = 150
	maxSection = 3000
	maxFields  = 10
	maxField   = 2000
)

// Webhook sends messages to one incoming webhook URL (a secret).
type Webhook struct {
	url  string
	http *http.Client
}

// New checks the webhook URL's shape; the error never repeats the URL.
func New(webhookURL string, hc *http.Client) (*Webhook, error) {
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("slack webhook URL: an http(s) URL such as https://hooks.slack.com/services/... expected")
	}
	return &Webhook{url: webhookURL, http: hc}, nil
}

// Send posts the message; Slack answers 200 "ok" on success.
func (w *Webhook) Send(ctx context.Context, m channel.Message) error {
	_, err := channel.PostJSON(ctx, w.http, channel.Slack, w.url, Render(m))
	return err
}

// Render builds the webhook message: a header, the summary, the facts as fields and
// the console command, with a plain-text fallback for notifications.
func Render(m channel.Message) *slack.WebhookMessage {
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType,
		truncate(severityIcon(m.Severity)+" "+m.Title, maxHeader), true, false))

	summary := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
		truncate(escape(m.Summary), maxSection), false, false), nil, nil)

	facts := []channel.Field{
		{Label: "Workflow", Value: m.WorkflowID},
		{Label: "Pipeline", Value: m.PipelineID},
		{Label: "Severity", Value: m.Severity},
	}
	facts = append(facts, m.Fields...)
	var fields []*slack.TextBlockObject
	for _, f := range facts[:min(len(facts), maxFields)] {
		text := fmt.Sprintf("*%s*\n%s", escape(f.Label), escape(f.Value))
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxField), false, false))
	}
	details := slack.NewSectionBlock(nil, fields, nil)

	console := slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
		"Open in the console: `"+escape(m.ConsoleCommand())+"`", false, false))

	return &slack.WebhookMessage{
		Text:   truncate(fmt.Sprintf("%s: %s (%s)", m.Title, m.Summary, m.ConsoleCommand()), maxSection),
		Blocks: &slack.Blocks{BlockSet: []slack.Block{header, summary, details, console}},
	}
}

func severityIcon(sev string) string {
	switch sev {
	case "critical":
		return ":rotating_light:"
	case "warning":
		return ":warning:"
	}
	return ":information_source:"
}

// escape applies Slack's mrkdwn escaping of &, < and >.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
