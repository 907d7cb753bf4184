// Package config turns the worker's flags and secrets into configured channels and
// routing, and refuses to start on anything it cannot use.
package config

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/matih/ops/shared/datadir"
	"github.com/matih/ops/worker-notify/internal/channel"
	"github.com/matih/ops/worker-notify/internal/email"
	"github.com/matih/ops/worker-notify/internal/notify"
	"github.com/matih/ops/worker-notify/internal/outbox"
	"github.com/matih/ops/worker-notify/internal/pagerduty"
	"github.com/matih/ops/worker-notify/internal/route"
	"github.com/matih/ops/worker-notify/internal/secret"
	"github.com/matih/ops/worker-notify/internal/slack"
	"github.com/matih/ops/worker-notify/internal/slackbot"
)

// Secret environment variables; each also has a _FILE form naming a file.
const (
	EnvSlackWebhook  = "MATIH_SLACK_WEBHOOK_URL"
	EnvSlackBotToken = "MATIH_SLACK_BOT_TOKEN"
	EnvSMTPPassword  = "MATIH_SMTP_PASSWORD"
	EnvPagerDutyKey  = "MATIH_PAGERDUTY_ROUTING_KEY"
	DefaultOutbox    = "outbox.jsonl" // inside the data directory
	DefaultSMTPPort  = 587
	DefaultHTTPLimit = 30 * time.Second
)

// Config holds the non-secret settings, bound to flags.
type Config struct {
	Routing      string
	Outbox       string
	PagerDutyURL string
	SMTP         email.Config
	smtpTo       string
	HTTPTimeout  time.Duration
	// SlackChannels, SlackAPIURL and WebUI configure the Slack bot (with
	// MATIH_SLACK_BOT_TOKEN): the channel per severity, the Web API and the Open link.
	SlackChannels string
	SlackAPIURL   string
	WebUI         string
}

// RegisterFlags binds the settings; the runtime also reads each as MATIH_<FLAG>.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Routing, "routing", "", "YAML routing file: severity to channels, per-pipeline overrides (env MATIH_ROUTING)")
	fs.StringVar(&c.Outbox, "outbox", DefaultOutbox, "JSON-lines file every notification is appended to; relative: inside --data-dir (env MATIH_OUTBOX)")
	fs.StringVar(&c.PagerDutyURL, "pagerduty-url", pagerduty.DefaultEndpoint, "PagerDuty Events API v2 base URL (env MATIH_PAGERDUTY_URL)")
	fs.StringVar(&c.SMTP.Host, "smtp-host", "", "SMTP relay host; email is off when empty (env MATIH_SMTP_HOST)")
	fs.IntVar(&c.SMTP.Port, "smtp-port", DefaultSMTPPort, "SMTP relay port (env MATIH_SMTP_PORT)")
	fs.StringVar(&c.SMTP.Mode, "smtp-tls", email.ModeSTARTTLS, "starttls or tls (implicit TLS, usually port 465) (env MATIH_SMTP_TLS)")
	fs.StringVar(&c.SMTP.Username, "smtp-username", "", "SMTP user; the password comes from MATIH_SMTP_PASSWORD(_FILE) (env MATIH_SMTP_USERNAME)")
	fs.StringVar(&c.SMTP.From, "smtp-from", "", "sender address (env MATIH_SMTP_FROM)")
	fs.StringVar(&c.smtpTo, "smtp-to", "", "comma-separated recipient addresses (env MATIH_SMTP_TO)")
	fs.StringVar(&c.SMTP.CAFile, "smtp-ca-file", "", "PEM CA certificate to trust for the relay, besides the system's (env MATIH_SMTP_CA_FILE)")
	fs.StringVar(&c.SlackChannels, "slack-channels", "", "with MATIH_SLACK_BOT_TOKEN(_FILE): channel ids per severity, critical=C0123,warning=C0456, or one id for all (env MATIH_SLACK_CHANNELS)")
	fs.StringVar(&c.SlackAPIURL, "slack-api-url", "https://slack.com/api/", "Slack Web API base URL (env MATIH_SLACK_API_URL)")
	fs.StringVar(&c.WebUI, "web-ui-url", "", "the namespace in the Temporal Web UI, for the alert's Open button, e.g. https://temporal.example.com/namespaces/matih-pipelines (env MATIH_WEB_UI_URL)")
	fs.DurationVar(&c.HTTPTimeout, "notify-timeout", DefaultHTTPLimit, "timeout of one Slack, PagerDuty or SMTP exchange (env MATIH_NOTIFY_TIMEOUT)")
}

// Build loads secrets, builds the configured channels and the routing, and reports
// on logger which channels are on and where each severity goes.
func (c *Config) Build(logger *slog.Logger) (*notify.Activities, error) {
	red := &secret.Redactor{}
	hc := &http.Client{Timeout: c.HTTPTimeout}
	a := &notify.Activities{Redactor: red}
	var err error
	c.Outbox = datadir.Resolve(c.Outbox)
	c.Routing = datadir.Resolve(c.Routing)
	if a.Outbox, err = outbox.Open(c.Outbox); err != nil {
		return nil, err
	}
	if a.Slack, err = buildSlack(red, hc); err != nil {
		return nil, err
	}
	if a.SlackBot, err = c.buildSlackBot(red, hc); err != nil {
		return nil, err
	}
	if a.Email, err = c.buildEmail(red); err != nil {
		return nil, err
	}
	if a.PagerDuty, err = c.buildPagerDuty(red, hc); err != nil {
		return nil, err
	}
	configured := map[string]bool{
		channel.Outbox: true, channel.Slack: a.Slack != nil || a.SlackBot != nil,
		channel.Email: a.Email != nil, channel.PagerDuty: a.PagerDuty != nil,
	}
	a.Routing = route.Default(configured)
	if c.Routing != "" {
		if a.Routing, err = route.Load(c.Routing, configured); err != nil {
			return nil, err
		}
	}
	report(logger, configured, a.Routing, c)
	return a, nil
}

func buildSlack(red *secret.Redactor, hc *http.Client) (*slack.Webhook, error) {
	u, err := secret.Load(EnvSlackWebhook)
	if err != nil || u == "" {
		return nil, err
	}
	red.Add(u)
	if p, err := url.Parse(u); err == nil {
		red.Add(p.Path, strings.TrimPrefix(p.Path, "/services/"))
	}
	w, err := slack.New(u, hc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSlackWebhook, err)
	}
	return w, nil
}

// buildSlackBot builds the bot when its token is set; it then replaces the webhook.
func (c *Config) buildSlackBot(red *secret.Redactor, hc *http.Client) (*slackbot.Bot, error) {
	token, err := secret.Load(EnvSlackBotToken)
	if err != nil || token == "" {
		if err == nil && c.SlackChannels != "" {
			return nil, fmt.Errorf("--slack-channels: set %s (or %s_FILE) too, or drop the channels", EnvSlackBotToken, EnvSlackBotToken)
		}
		return nil, err
	}
	red.Add(token)
	channels, err := slackbot.ParseChannels(c.SlackChannels)
	if err != nil {
		return nil, fmt.Errorf("--slack-channels: %w", err)
	}
	if c.WebUI != "" {
		if u, err := url.Parse(c.WebUI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("--web-ui-url: an http(s) URL expected, got %q", c.WebUI)
		}
	}
	b, err := slackbot.New(slackbot.Config{Token: token, Channels: channels, WebUI: c.WebUI, APIURL: c.SlackAPIURL}, hc, time.Now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSlackBotToken, err)
	}
	return b, nil
}

func (c *Config) buildEmail(red *secret.Redactor) (*email.Sender, error) {
	pw, err := secret.Load(EnvSMTPPassword)
	if err != nil {
		return nil, err
	}
	red.Add(pw)
	if c.SMTP.Host == "" {
		if pw != "" || c.smtpTo != "" || c.SMTP.From != "" {
			return nil, fmt.Errorf("--smtp-host: required when other SMTP settings are given")
		}
		return nil, nil
	}
	cfg := c.SMTP
	cfg.Password = pw
	cfg.Timeout = c.HTTPTimeout
	for _, to := range strings.Split(c.smtpTo, ",") {
		if to = strings.TrimSpace(to); to != "" {
			cfg.To = append(cfg.To, to)
		}
	}
	return email.New(cfg)
}

func (c *Config) buildPagerDuty(red *secret.Redactor, hc *http.Client) (*pagerduty.Client, error) {
	key, err := secret.Load(EnvPagerDutyKey)
	if err != nil || key == "" {
		return nil, err
	}
	red.Add(key)
	return pagerduty.New(key, c.PagerDutyURL, hc)
}

// report logs the channels and the effective default routes, without any secret.
func report(logger *slog.Logger, configured map[string]bool, r route.Routing, c *Config) {
	for _, ch := range channel.Names {
		switch {
		case ch == channel.Outbox:
			logger.Info("notification channel on", "channel", ch, "file", c.Outbox)
		case configured[ch]:
			logger.Info("notification channel on", "channel", ch)
		default:
			logger.Warn("notification channel not configured", "channel", ch, "how", route.Hint(ch))
		}
	}
	for _, sev := range route.Severities {
		logger.Info("notification route", "severity", sev, "channels", append([]string{channel.Outbox}, r.Routes[sev]...))
	}
	logger.Info("quality issues page below score", "critical_below", r.CriticalBelow, "pipeline_overrides", len(r.Pipelines))
}
