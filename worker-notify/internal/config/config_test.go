package config

import (
	"bytes"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	canaryWebhook = "https://hooks.slack.example/services/T1/B1/canary-webhook-9f8e7d"
	canaryKey     = "canary-routing-key-0123456789abc"
	canaryPass    = "canary-smtp-pass-5a4b3c"
)

func parse(t *testing.T, args ...string) *Config {
	t.Helper()
	var c Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse(append([]string{"--outbox", filepath.Join(t.TempDir(), "outbox.jsonl")}, args...)); err != nil {
		t.Fatal(err)
	}
	return &c
}

func clearEnv(t *testing.T) {
	for _, n := range []string{EnvSlackWebhook, EnvSMTPPassword, EnvPagerDutyKey} {
		t.Setenv(n, "")
		os.Unsetenv(n)
		t.Setenv(n+"_FILE", "")
		os.Unsetenv(n + "_FILE")
	}
}

func build(t *testing.T, c *Config) (string, error) {
	var logs bytes.Buffer
	_, err := c.Build(slog.New(slog.NewTextHandler(&logs, nil)))
	return logs.String(), err
}

func TestNothingConfiguredRunsOnTheOutbox(t *testing.T) {
	clearEnv(t)
	c := parse(t)
	a, err := c.Build(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if a.Slack != nil || a.Email != nil || a.PagerDuty != nil || a.Outbox == nil {
		t.Fatalf("channels %+v", a)
	}
	logs, _ := build(t, c)
	for _, want := range []string{"channel=slack how=\"set MATIH_SLACK_WEBHOOK_URL", "channel=email", "channel=pagerduty", "severity=critical channels=[outbox]"} {
		if !strings.Contains(logs, want) {
			t.Errorf("start-up report lacks %q:\n%s", want, logs)
		}
	}
}

func TestSecretsFromEnvAndFilesNeverLogged(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "pd-key")
	if err := os.WriteFile(keyFile, []byte(canaryKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvSlackWebhook, canaryWebhook)
	t.Setenv(EnvPagerDutyKey+"_FILE", keyFile)
	t.Setenv(EnvSMTPPassword, canaryPass)
	c := parse(t, "--smtp-host", "smtp.example.com", "--smtp-username", "u", "--smtp-from", "a@example.com", "--smtp-to", "b@example.com, c@example.com")
	logs, err := build(t, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{canaryWebhook, "canary-webhook-9f8e7d", canaryKey, canaryPass} {
		if strings.Contains(logs, s) {
			t.Fatalf("logs contain a secret:\n%s", logs)
		}
	}
	if !strings.Contains(logs, "severity=critical channels=\"[outbox pagerduty slack]\"") {
		t.Fatalf("routes:\n%s", logs)
	}
}

func TestStartUpErrors(t *testing.T) {
	dir := t.TempDir()
	routing := filepath.Join(dir, "routing.yaml")
	if err := os.WriteFile(routing, []byte("routes:\n  critical: [pagerduty]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		says string
	}{
		{"routing to an unconfigured channel", nil, []string{"--routing", routing}, `routes.critical[0]: channel "pagerduty" is not configured on this worker (set MATIH_PAGERDUTY_ROUTING_KEY`},
		{"both env and file", map[string]string{EnvPagerDutyKey: canaryKey, EnvPagerDutyKey + "_FILE": routing}, nil, "MATIH_PAGERDUTY_ROUTING_KEY and MATIH_PAGERDUTY_ROUTING_KEY_FILE are both set"},
		{"missing secret file", map[string]string{EnvSlackWebhook + "_FILE": filepath.Join(dir, "nope")}, nil, "MATIH_SLACK_WEBHOOK_URL_FILE"},
		{"bad webhook", map[string]string{EnvSlackWebhook: "not a url canary-webhook-9f8e7d"}, nil, "MATIH_SLACK_WEBHOOK_URL: slack webhook URL: an http(s) URL"},
		{"password without host", map[string]string{EnvSMTPPassword: canaryPass}, nil, "--smtp-host: required"},
		{"bad pagerduty url", map[string]string{EnvPagerDutyKey: canaryKey}, []string{"--pagerduty-url", "ftp://x"}, "--pagerduty-url"},
		{"missing routing file", nil, []string{"--routing", filepath.Join(dir, "missing.yaml")}, "routing file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := build(t, parse(t, c.args...))
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want %q", err, c.says)
			}
			for _, s := range []string{"canary-webhook-9f8e7d", canaryKey, canaryPass} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks a secret: %v", err)
				}
			}
		})
	}
}
