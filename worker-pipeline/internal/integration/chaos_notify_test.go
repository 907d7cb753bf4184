package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/shared/testkit/channelfakes"
)

// chaosPagerDutyKey is the routing key worker-notify sends with (32 characters,
// as PagerDuty's are).
const chaosPagerDutyKey = "chaosPagerDutyRoutingKey00112233"

// notifyChannels are Slack's Web API (the bot posts alerts with buttons) and
// PagerDuty's Events API, as the chaos run's worker-notify delivers to them.
type notifyChannels struct {
	slack *testkit.SlackServer
	pd    *channelfakes.PagerDuty
}

// refuseSome makes the next few requests to each channel fail as an overloaded
// service's would: retried by the activity, never a lost or doubled message.
func (ch *notifyChannels) refuseSome() {
	ch.slack.RateLimit(5)
	for i := 0; i < 5; i++ {
		ch.pd.Push(channelfakes.Answer{Status: 500})
	}
}

// startNotify starts two worker-notify processes routing every severity to Slack,
// and warnings and worse to PagerDuty as well.
func startNotify(t *testing.T, c client.Client, hostPort string, slack *testkit.SlackServer, creds []string) (*fleet, *notifyChannels) {
	ch := &notifyChannels{slack: slack, pd: channelfakes.NewPagerDuty(t, chaosPagerDutyKey)}
	routing := filepath.Join(t.TempDir(), "routing.yaml")
	if err := os.WriteFile(routing, []byte("routes:\n  info: [slack]\n  warning: [pagerduty, slack]\n  critical: [pagerduty, slack]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(creds, "MATIH_SLACK_BOT_TOKEN="+slack.Token, "MATIH_PAGERDUTY_ROUTING_KEY="+chaosPagerDutyKey)
	f := newFleet(t, c, notifyBin, env, "--address", hostPort, "--stop-timeout", "1s", "--data-dir", "data",
		"--routing", routing, "--pagerduty-url", ch.pd.Server.URL, "--slack-channels", chaosSlackChannel, "--slack-api-url", slack.URL, "--log-level", "warn")
	f.start(2)
	return f, ch
}

// deliveries lists every NotificationDeliveryWorkflow, waiting (a bounded time)
// until none is open.
func deliveries(c client.Client, within time.Duration) (pages []*workflowservice.ListWorkflowExecutionsResponse, open int) {
	deadline := time.Now().Add(within)
	for {
		pages = nil
		open = 0
		var token []byte
		for {
			resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
				Query: contract.DeliveriesQuery, PageSize: 1000, NextPageToken: token})
			if err != nil {
				break
			}
			pages = append(pages, resp)
			for _, e := range resp.GetExecutions() {
				if e.GetStatus() == runningStatus {
					open++
				}
			}
			if token = resp.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
		if (open == 0 && len(pages) > 0) || time.Now().After(deadline) {
			return pages, open
		}
		time.Sleep(2 * time.Second)
	}
}

// checkNotifications: every run's notifications were delivered after the faults,
// each Slack message arrived once (a crash between a send and its heartbeat may
// repeat one: at most one per notify worker killed), PagerDuty folded repeats into
// one incident per dedup key, and no incident of a finished run is left open but
// those of the workflows in openOK (a rolled-back migration's warning is for a
// person to look at).
func (r *chaosReport) checkNotifications(c client.Client, ch *notifyChannels, pipes []*chaosPipeline, notifyKills int, openOK map[string]bool) {
	pages, open := deliveries(c, 5*time.Minute)
	perRun := map[string]int{}
	var failed []string
	total, toSlack := 0, 0
	for _, page := range pages {
		for _, e := range page.GetExecutions() {
			total++
			id := e.GetExecution().GetWorkflowId()
			perRun[id[:max(strings.Index(id, ".notify-"), 0)]]++
			if e.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				failed = append(failed, fmt.Sprintf("%s %s", id, e.GetStatus()))
				continue
			}
			var res contract.NotificationResult
			if err := c.GetWorkflow(context.Background(), id, e.GetExecution().GetRunId()).Get(context.Background(), &res); err == nil {
				for _, d := range res.Delivered {
					if d == "slack" {
						toSlack++
					}
				}
			}
		}
	}
	missing := 0
	for _, p := range pipes {
		if p.run != nil && perRun[p.run.GetRunID()] == 0 {
			missing++
		}
	}
	r.add("every notification delivered", open == 0 && len(failed) == 0 && missing == 0 && total > 0,
		fmt.Sprintf("%d delivery workflows, %d open, %d not completed, %d runs with none %s", total, open, len(failed), missing, strings.Join(failed, " ")))

	// Each Slack delivery posted a message or changed an alert to its outcome, so
	// the distinct messages are no more than the deliveries, and those no more than
	// the posts and edits.
	messages := ch.slack.Messages(chaosSlackChannel)
	texts, edits := map[string]int{}, 0
	for _, m := range messages {
		key := m.Text // an alert changed to its outcome reads like another run's: it is its run's
		if id := alertFor(m); id != "" {
			key = "alert " + id
		}
		texts[key]++
		edits += m.Edits
	}
	repeats, most := 0, 0
	for _, n := range texts {
		repeats += n - 1
		most = max(most, n)
	}
	r.add("each Slack message once (a repeat per killed notify worker at most)", len(texts) <= toSlack && toSlack <= len(messages)+edits && repeats <= notifyKills && most <= 2,
		fmt.Sprintf("%d messages, %d distinct, %d edits, %d deliveries to Slack, %d repeats, %d notify workers killed", len(messages), len(texts), edits, toSlack, repeats, notifyKills))

	triggers := map[string]int{}
	resolvedFirst := map[string]bool{} // a resolve came before any trigger of the key
	actions, overtaken := 0, 0         // overtaken: a trigger after such a resolve
	for _, ev := range ch.pd.Events() {
		actions++
		switch {
		case ev.Action == "trigger":
			if resolvedFirst[ev.DedupKey] && triggers[ev.DedupKey] == 0 {
				overtaken++
			}
			triggers[ev.DedupKey]++
		case ev.Action == "resolve" && triggers[ev.DedupKey] == 0:
			resolvedFirst[ev.DedupKey] = true
		}
	}
	var left, kept []string
	retriggered := 0
	for key, n := range triggers {
		retriggered += n - 1
		switch {
		case ch.pd.Incident(key) == "resolved":
		case openOK[incidentWorkflow(key)]:
			kept = append(kept, key)
		default:
			left = append(left, key)
		}
	}
	sort.Strings(left)
	r.add("PagerDuty: one incident per dedup key, each trigger before its resolve, none left open", len(left) == 0 && overtaken == 0,
		fmt.Sprintf("%d events, %d incidents, %d repeated triggers folded by dedup_key, %d triggers after their resolve, %d open as expected %s, %d left open %s",
			actions, len(triggers), retriggered, overtaken, len(kept), strings.Join(kept, " "), len(left), strings.Join(left, " ")))
}

// incidentWorkflow is the workflow id in a dedup key matih/<workflow id>/<kind>.
func incidentWorkflow(key string) string {
	rest := strings.TrimPrefix(key, "matih/")
	return rest[:max(strings.LastIndex(rest, "/"), 0)]
}

// mayStayOpen is the workflows whose incidents stay open after the run: the
// migrations that must roll back.
func mayStayOpen(migs []*chaosMigration) map[string]bool {
	out := map[string]bool{}
	for _, m := range migs {
		if m.want == contract.StatusRolledBack {
			out[contract.MigrationWorkflowID(m.cfg.MigrationID)] = true
		}
	}
	return out
}
