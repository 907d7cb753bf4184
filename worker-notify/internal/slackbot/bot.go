// Package slackbot posts notifications with a Slack bot token through the Web API,
// so a quality alert can carry Approve and Reject buttons, and so the alert can be
// found again and changed to its outcome, with its buttons gone, however the run
// was decided. Without a bot token, worker-notify keeps the incoming webhook.
//
// The message finds itself again by its metadata (event type SlackEventApproval,
// the workflow id in the payload), read back with conversations.history: Slack is
// the only store, so any notify process can update what another posted.
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/slackmsg"
	"github.com/matih/ops/worker-notify/internal/channel"
	slackwebhook "github.com/matih/ops/worker-notify/internal/slack"
)

// historyPages bounds the search for an alert: 5 pages of 200 messages per channel.
const historyPages = 5

// Config is what a bot needs: its token, a channel per severity, where the Web UI
// shows a run (empty: no Open button) and the API's base URL (tests, proxies).
type Config struct {
	Token    string
	Channels map[string]string // severity -> channel id; "" key: every other severity
	WebUI    string            // e.g. https://temporal.example.com/namespaces/matih-pipelines
	APIURL   string            // default https://slack.com/api/
}

// Bot is a Slack Web API client for the notifications.
type Bot struct {
	api   *slack.Client
	cfg   Config
	now   func() time.Time
	order []string // the channels, each once, for the search
}

// New checks the configuration; the error never repeats the token.
func New(cfg Config, hc *http.Client, now func() time.Time) (*Bot, error) {
	if !strings.HasPrefix(cfg.Token, "xoxb-") {
		return nil, errors.New("slack bot token: a bot token (xoxb-...) expected")
	}
	if len(cfg.Channels) == 0 {
		return nil, errors.New("slack channels: at least one channel id expected, e.g. critical=C0123,warning=C0456 or C0789 for all")
	}
	opts := []slack.Option{slack.OptionHTTPClient(hc)}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(strings.TrimSuffix(cfg.APIURL, "/")+"/"))
	}
	b := &Bot{api: slack.New(cfg.Token, opts...), cfg: cfg, now: now}
	seen := map[string]bool{}
	for _, sev := range []string{"critical", "warning", "info", ""} {
		if c := cfg.Channels[sev]; c != "" && !seen[c] {
			seen[c] = true
			b.order = append(b.order, c)
		}
	}
	return b, nil
}

// ParseChannels reads "critical=C1,warning=C2" or a single "C3" for every severity.
func ParseChannels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		sev, id, ok := strings.Cut(part, "=")
		if !ok {
			sev, id = "", part
		}
		switch sev {
		case "", "critical", "warning", "info":
		default:
			return nil, fmt.Errorf("slack channels: severity %q: expected critical, warning or info", sev)
		}
		if id == "" || strings.ContainsAny(id, " #") {
			return nil, fmt.Errorf("slack channels: %q: expected a channel id such as C0123ABC", part)
		}
		out[sev] = id
	}
	if len(out) == 0 {
		return nil, errors.New("slack channels: none given")
	}
	return out, nil
}

func (b *Bot) channelFor(severity string) string {
	if c := b.cfg.Channels[severity]; c != "" {
		return c
	}
	if c := b.cfg.Channels[""]; c != "" {
		return c
	}
	return b.order[0]
}

// Send posts a notification that asks nothing: the webhook's blocks, by severity.
func (b *Bot) Send(ctx context.Context, m channel.Message) error {
	msg := slackwebhook.Render(m)
	_, _, err := b.api.PostMessageContext(ctx, b.channelFor(m.Severity),
		slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
	return classify(err)
}

// AskApproval posts the interactive quality alert, unless the channel already has
// a message of the run: the alert itself (a retried delivery), or the run's
// outcome, posted first because the alert's delivery was held up (a worker lost,
// a rate limit) while the run was decided; buttons posted after it would be stale.
func (b *Bot) AskApproval(ctx context.Context, m channel.Message, n contract.QualityIssueNotification) error {
	if _, ts, err := b.find(ctx, n.WorkflowID); err != nil || ts != "" {
		return err
	}
	blocks := approvalBlocks(m, n, b.now(), b.cfg.WebUI)
	_, _, err := b.api.PostMessageContext(ctx, b.channelFor(m.Severity),
		slack.MsgOptionText(fallback(m, n), false), slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: contract.SlackEventApproval,
			EventPayload: map[string]any{"workflow_id": n.WorkflowID}}))
	return classify(err)
}

// SendOutcome posts a run's outcome when its alert was not found, marked as the
// run's, so that an alert whose delivery comes later is not posted.
func (b *Bot) SendOutcome(ctx context.Context, m channel.Message, n contract.QualityIssueNotification) error {
	msg := slackwebhook.Render(m)
	_, _, err := b.api.PostMessageContext(ctx, b.channelFor(m.Severity),
		slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks.BlockSet...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: contract.SlackEventApproval,
			EventPayload: map[string]any{"workflow_id": n.WorkflowID, "decision": n.Decision}}))
	return classify(err)
}

// Decided changes the run's alert to its outcome, without buttons. An alert not
// found (deleted, or older than the search) is not an error: there is nothing stale.
func (b *Bot) Decided(ctx context.Context, n contract.QualityIssueNotification) (bool, error) {
	ch, ts, err := b.find(ctx, n.WorkflowID)
	if err != nil || ts == "" {
		return false, err
	}
	blocks := slackmsg.OutcomeBlocks(n.PipelineID, n.WorkflowID, n.Decision, n.Approver, n.Reason, b.now())
	_, _, _, err = b.api.UpdateMessageContext(ctx, ch, ts,
		slack.MsgOptionText(slackmsg.OutcomeText(n.PipelineID, n.Decision, n.Approver), false), slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: contract.SlackEventApproval,
			EventPayload: map[string]any{"workflow_id": n.WorkflowID, "decision": n.Decision}}))
	return err == nil, classify(err)
}

// find looks for the run's alert in every channel, newest first.
func (b *Bot) find(ctx context.Context, workflowID string) (string, string, error) {
	for _, ch := range b.order {
		cursor := ""
		for page := 0; page < historyPages; page++ {
			resp, err := b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: ch, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
			if err != nil {
				return "", "", classify(err)
			}
			for _, msg := range resp.Messages {
				if msg.Metadata.EventType == contract.SlackEventApproval && msg.Metadata.EventPayload["workflow_id"] == workflowID {
					return ch, msg.Timestamp, nil
				}
			}
			if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
				break
			}
			cursor = resp.ResponseMetaData.NextCursor
		}
	}
	return "", "", nil
}

// classify turns the Web API's answers into delivery errors: rate limits and
// server trouble are retried (after Retry-After), refusals are final.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return channel.Temporary(channel.Slack, rl.RetryAfter, "rate limited by Slack; retry after %s", rl.RetryAfter)
	}
	var se slack.StatusCodeError
	if errors.As(err, &se) && se.Code >= 500 {
		return channel.Temporary(channel.Slack, 0, "Slack answered %d", se.Code)
	}
	var sr slack.SlackErrorResponse
	if errors.As(err, &sr) || errors.As(err, &se) {
		return channel.Permanent(channel.Slack, "Slack refused the call: %v", err)
	}
	switch err.Error() {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "channel_not_found", "not_in_channel",
		"is_archived", "msg_too_long", "invalid_blocks", "missing_scope", "message_not_found", "cant_update_message":
		return channel.Permanent(channel.Slack, "Slack refused the call: %v", err)
	}
	return channel.Temporary(channel.Slack, 0, "Slack: %v", err)
}
