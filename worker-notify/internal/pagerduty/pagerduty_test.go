package pagerduty_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/testkit/channelfakes"
	"github.com/matih/ops/worker-notify/internal/channel"
	"github.com/matih/ops/worker-notify/internal/pagerduty"
)

const key = "R0UT1NGKEY0123456789abcdefABCDEF" // 32 characters, like a real one

func newClient(t *testing.T) (*channelfakes.PagerDuty, *pagerduty.Client) {
	srv := channelfakes.NewPagerDuty(t, key)
	c, err := pagerduty.New(key, srv.Server.URL, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func failure(wf string) channel.Message {
	return channel.Message{
		Time: time.Now(), Kind: "failure", Severity: "critical", WorkflowID: wf, PipelineID: "orders",
		Title: "Pipeline orders failed", Summary: "extract_data: connection refused",
		Fields: []channel.Field{{Label: "Failed activity", Value: "extract_data"}},
	}
}

func TestDedupKey(t *testing.T) {
	if got := pagerduty.DedupKey("pipeline-orders-1", "failure"); got != "matih/pipeline-orders-1/failure" {
		t.Fatalf("got %q", got)
	}
	if pagerduty.DedupKey("wf", "failure") == pagerduty.DedupKey("wf", "quality_issue") {
		t.Fatal("kinds must not share a dedup key")
	}
	long := strings.Repeat("x", 400)
	k1, k2 := pagerduty.DedupKey(long, "failure"), pagerduty.DedupKey(long+"y", "failure")
	if len(k1) > 255 || k1 == k2 || k1 != pagerduty.DedupKey(long, "failure") {
		t.Fatalf("long ids: %q %q", k1, k2)
	}
}

func TestTriggerThenResolve(t *testing.T) {
	srv, c := newClient(t)
	ctx := context.Background()
	wf := "pipeline-orders-2026-02-12T06:00:00Z"
	if err := c.Trigger(ctx, failure(wf)); err != nil {
		t.Fatal(err)
	}
	// A retried trigger updates the same incident instead of opening another.
	if err := c.Trigger(ctx, failure(wf)); err != nil {
		t.Fatal(err)
	}
	dk := pagerduty.DedupKey(wf, "failure")
	if srv.Incident(dk) != "triggered" {
		t.Fatalf("incident %q", srv.Incident(dk))
	}
	ev := srv.Events()[0]
	if ev.Action != "trigger" || ev.DedupKey != dk || ev.Payload.Severity != "critical" || ev.Payload.Class != "failure" {
		t.Fatalf("event %+v", ev)
	}
	if ev.Payload.Details["console_command"] != "matih status "+wf || ev.Payload.Details["failed_activity"] != "extract_data" {
		t.Fatalf("details %v", ev.Payload.Details)
	}
	if err := c.Resolve(ctx, wf, "failure"); err != nil {
		t.Fatal(err)
	}
	if srv.Incident(dk) != "resolved" {
		t.Fatalf("after resolve: %q", srv.Incident(dk))
	}
	if last := srv.Events()[2]; last.Action != "resolve" || last.Payload != nil {
		t.Fatalf("resolve event %+v", last)
	}
}

func TestErrorAnswers(t *testing.T) {
	cases := []struct {
		answer    channelfakes.Answer
		retryable bool
		after     time.Duration
		says      string
	}{
		{channelfakes.Answer{Status: 400}, false, 0, "Event object is invalid"},
		{channelfakes.Answer{Status: 429, RetryAfter: 4}, true, 4 * time.Second, "arriving too quickly"},
		{channelfakes.Answer{Status: 429}, true, 0, "rate limited"},
		{channelfakes.Answer{Status: 500}, true, 0, "service unavailable"},
		{channelfakes.Answer{Status: 403}, false, 0, "credentials refused"},
	}
	for _, c := range cases {
		srv, cl := newClient(t)
		srv.Push(c.answer)
		err := cl.Trigger(context.Background(), failure("wf-1"))
		var ce *channel.Error
		if !errors.As(err, &ce) || ce.Retryable != c.retryable || ce.RetryAfter != c.after || !strings.Contains(ce.Msg, c.says) {
			t.Errorf("%d: got %#v", c.answer.Status, err)
		}
		if len(srv.Events()) != 0 {
			t.Errorf("%d: event accepted", c.answer.Status)
		}
	}
}

func TestWrongKeyIsRejectedPermanently(t *testing.T) {
	srv := channelfakes.NewPagerDuty(t, key)
	c, _ := pagerduty.New("short-key", srv.Server.URL, http.DefaultClient)
	err := c.Trigger(context.Background(), failure("wf-2"))
	var ce *channel.Error
	if !errors.As(err, &ce) || ce.Retryable || !strings.Contains(ce.Msg, "routing_key") {
		t.Fatalf("got %v", err)
	}
}

func TestNewValidatesEndpoint(t *testing.T) {
	if _, err := pagerduty.New(key, "events.pagerduty.com", http.DefaultClient); err == nil || !strings.Contains(err.Error(), "--pagerduty-url") {
		t.Fatalf("got %v", err)
	}
	if _, err := pagerduty.New("", "", http.DefaultClient); err == nil {
		t.Fatal("empty key accepted")
	}
}
