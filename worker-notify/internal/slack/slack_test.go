package slack_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/testkit/channelfakes"
	"github.com/matih/ops/worker-notify/internal/channel"
	"github.com/matih/ops/worker-notify/internal/slack"
)

func message() channel.Message {
	return channel.Message{
		Time: time.Now(), Kind: "failure", Severity: "critical",
		WorkflowID: "pipeline-orders-2026-02-12T06:00:00Z", PipelineID: "orders",
		Title: "Pipeline orders failed in load_to_iceberg", Summary: "commit <conflict> & retry exhausted",
		Fields: []channel.Field{{Label: "Attempts", Value: "3"}},
	}
}

func newWebhook(t *testing.T) (*channelfakes.Slack, *slack.Webhook) {
	srv := channelfakes.NewSlack(t, "xoxb-webhook-token-1")
	w, err := slack.New(srv.URL, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, w
}

func TestSendPostsBlockKit(t *testing.T) {
	srv, w := newWebhook(t)
	if err := w.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	blocks, _ := msgs[0]["blocks"].([]any)
	var types []string
	var all strings.Builder
	for _, b := range blocks {
		bm := b.(map[string]any)
		types = append(types, bm["type"].(string))
		all.WriteString(stringify(bm))
	}
	if got := strings.Join(types, ","); got != "header,section,section,context" {
		t.Fatalf("block types %s", got)
	}
	text := all.String()
	for _, want := range []string{
		"Pipeline orders failed in load_to_iceberg",
		"`matih status pipeline-orders-2026-02-12T06:00:00Z`",
		"commit &lt;conflict&gt; &amp; retry exhausted", // mrkdwn escaped
		"*Attempts*",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("blocks lack %q:\n%s", want, text)
		}
	}
	if fb, _ := msgs[0]["text"].(string); !strings.Contains(fb, "matih status pipeline-orders") {
		t.Errorf("fallback text %q lacks the console command", fb)
	}
}

func stringify(v any) string {
	switch x := v.(type) {
	case map[string]any:
		var b strings.Builder
		for _, e := range x {
			b.WriteString(stringify(e) + "\n")
		}
		return b.String()
	case []any:
		var b strings.Builder
		for _, e := range x {
			b.WriteString(stringify(e) + "\n")
		}
		return b.String()
	case string:
		return x
	}
	return ""
}

func TestSendErrorAnswers(t *testing.T) {
	cases := []struct {
		answer    channelfakes.Answer
		retryable bool
		after     time.Duration
		says      string
	}{
		{channelfakes.Answer{Status: 400}, false, 0, "invalid_payload"},
		{channelfakes.Answer{Status: 403}, false, 0, "invalid_token"},
		{channelfakes.Answer{Status: 404}, false, 0, "no_service"},
		{channelfakes.Answer{Status: 429, RetryAfter: 9}, true, 9 * time.Second, "rate limited"},
		{channelfakes.Answer{Status: 500}, true, 0, "500"},
	}
	for _, c := range cases {
		srv, w := newWebhook(t)
		srv.Push(c.answer)
		err := w.Send(context.Background(), message())
		var ce *channel.Error
		if !errors.As(err, &ce) {
			t.Fatalf("%d: want *channel.Error, got %v", c.answer.Status, err)
		}
		if ce.Retryable != c.retryable || ce.RetryAfter != c.after || !strings.Contains(ce.Msg, c.says) {
			t.Errorf("%d: got %+v", c.answer.Status, ce)
		}
		if strings.Contains(err.Error(), srv.Token) || strings.Contains(err.Error(), srv.URL) {
			t.Errorf("%d: error leaks the webhook URL: %v", c.answer.Status, err)
		}
		if len(srv.Messages()) != 0 {
			t.Errorf("%d: message accepted despite the error answer", c.answer.Status)
		}
	}
}

func TestNewRejectsBadURLWithoutEchoingIt(t *testing.T) {
	_, err := slack.New("hooks.slack.com/services/T/B/SECRETPART", http.DefaultClient)
	if err == nil || strings.Contains(err.Error(), "SECRETPART") {
		t.Fatalf("got %v", err)
	}
}
