// Package pagerduty sends PagerDuty Events API v2 events: a trigger per paging
// notification with a dedup key derived from the workflow and the kind of event, and
// resolves that close those incidents once the workflow completes or is approved.
//
// The event types come from go-pagerduty; the POST is ours because the library's
// client reads error bodies in the REST API's shape, not the Events API's, and drops
// Retry-After.
package pagerduty

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/matih/ops/worker-notify/internal/channel"
)

// DefaultEndpoint is PagerDuty's Events API host; events go to its /v2/enqueue.
const DefaultEndpoint = "https://events.pagerduty.com"

// maxDedupKey is the Events API's limit on dedup_key.
const maxDedupKey = 255

// Client sends events with one routing key (a secret).
type Client struct {
	routingKey string
	enqueueURL string
	http       *http.Client
}

// New checks the endpoint; the routing key is never part of an error.
func New(routingKey, endpoint string, hc *http.Client) (*Client, error) {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("--pagerduty-url: an http(s) URL such as %s expected, got %q", DefaultEndpoint, endpoint)
	}
	if routingKey == "" {
		return nil, fmt.Errorf("pagerduty routing key: empty")
	}
	return &Client{routingKey: routingKey, enqueueURL: strings.TrimSuffix(endpoint, "/") + "/v2/enqueue", http: hc}, nil
}

// DedupKey identifies the incident a workflow's event of one kind opens, so retries
// and repeats update one incident and a resolve can find it.
func DedupKey(workflowID, kind string) string {
	key := "matih/" + workflowID + "/" + kind
	if len(key) <= maxDedupKey {
		return key
	}
	sum := sha256.Sum256([]byte(workflowID))
	return "matih/sha256-" + hex.EncodeToString(sum[:]) + "/" + kind
}

// Trigger opens (or updates) the incident for the message's workflow and kind.
func (c *Client) Trigger(ctx context.Context, m channel.Message) error {
	details := map[string]any{
		"workflow_id":     m.WorkflowID,
		"pipeline_id":     m.PipelineID,
		"console_command": m.ConsoleCommand(),
		"summary":         m.Summary,
	}
	for _, f := range m.Fields {
		details[strings.ToLower(strings.ReplaceAll(f.Label, " ", "_"))] = f.Value
	}
	ev := pd.V2Event{
		RoutingKey: c.routingKey,
		Action:     "trigger",
		DedupKey:   DedupKey(m.WorkflowID, m.Kind),
		Client:     "MATIH worker-notify",
		Payload: &pd.V2Payload{
			Summary:   truncate(m.Title+": "+m.Summary, 1024),
			Source:    "matih/" + m.PipelineID,
			Severity:  eventSeverity(m.Severity),
			Timestamp: m.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
			Component: m.PipelineID,
			Group:     "matih-pipelines",
			Class:     m.Kind,
			Details:   details,
		},
	}
	return c.send(ctx, ev)
}

// Resolve closes the incident of a workflow's event kind; PagerDuty accepts a resolve
// for a key with no open incident, so it is safe to send more than once.
func (c *Client) Resolve(ctx context.Context, workflowID, kind string) error {
	return c.send(ctx, pd.V2Event{RoutingKey: c.routingKey, Action: "resolve", DedupKey: DedupKey(workflowID, kind)})
}

// send posts one event; PagerDuty answers 202 with {"status":"success"}.
func (c *Client) send(ctx context.Context, ev pd.V2Event) error {
	_, err := channel.PostJSON(ctx, c.http, channel.PagerDuty, c.enqueueURL, ev)
	return err
}

// eventSeverity maps our severities to the Events API's (critical, error, warning, info).
func eventSeverity(sev string) string {
	switch sev {
	case "critical", "warning", "info":
		return sev
	}
	return "error"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-3], "") + "..."
}
