package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// The chaos run's Slack: worker-notify posts through the bot to one channel of
// Slack's contract server, and matih serve takes the alert's buttons. For every
// run decided "slack", ana approves from the alert while bob rejects from the
// console at the same moment, through the faults.

const (
	chaosSlackChannel = "C0CHAOS"
	slackApprover     = "ana@matih (slack U0ANA)"
	consoleRejecter   = "bob@bastion"
)

var ana = testkit.SlackUser{ID: "U0ANA", Name: "ana"}

// chaosSlack is the Slack side of a chaos run.
type chaosSlack struct {
	server       *testkit.SlackServer
	interactions string // matih serve's interactivity URL
	tb           *goroutineTB
}

// startChaosSlack starts Slack's contract server and matih serve with its route.
func startChaosSlack(t *testing.T, srv *chaosServer) *chaosSlack {
	slack := testkit.StartSlackServer(t, chaosSlackChannel)
	return &chaosSlack{server: slack, interactions: startServeWithSlack(t, srv.DevServer, slack, t.TempDir()), tb: &goroutineTB{TB: t}}
}

// alertOf finds the approval alert of workflow id, waiting up to within.
func (s *chaosSlack) alertOf(id string, within time.Duration) (testkit.SlackMessage, bool) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, m := range s.server.Messages(chaosSlackChannel) {
			if alertFor(m) == id {
				return m, true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return testkit.SlackMessage{}, false
}

// alertFor is the workflow id an approval alert is about, "" for other messages.
func alertFor(m testkit.SlackMessage) string {
	var md struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if json.Unmarshal(m.Metadata, &md) != nil || md.EventType != contract.SlackEventApproval {
		return ""
	}
	id, _ := md.EventPayload["workflow_id"].(string)
	return id
}

// race clicks Approve on the run's alert as ana, and once the reason modal is open
// submits it while bob's rejection goes to the run from the console.
func (s *chaosSlack) race(c client.Client, id string) {
	alert, ok := s.alertOf(id, 2*time.Minute)
	if !ok {
		s.tb.Errorf("%s: no alert reached Slack", id)
		return
	}
	trigger, resp := s.server.Click(s.tb, s.interactions, ana, contract.SlackActionApprove, alert)
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for _, open := s.server.View(trigger); !open; _, open = s.server.View(trigger) {
		if time.Now().After(deadline) {
			s.tb.Errorf("%s: the reason modal never opened", id)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		resp := s.server.Submit(s.tb, s.interactions, ana, trigger, contract.SlackReasonBlock, contract.SlackReasonAction, "chaos slack")
		resp.Body.Close()
	}()
	go func() {
		defer wg.Done()
		sendUntilAnswered(c, id, contract.ApprovalSignal{Approved: false, Approver: consoleRejecter, Reason: "chaos console"})
	}()
	wg.Wait()
}

// checkSlack: each alert was posted once (a repeat per killed notify worker at
// most), no alert keeps its buttons once every run closed, and each raced run took
// one decision whose maker the result and the alert both name.
func (r *chaosReport) checkSlack(c client.Client, s *chaosSlack, pipes []*chaosPipeline, notifyKills int) {
	alerts := map[string][]testkit.SlackMessage{}
	for _, m := range s.server.Messages(chaosSlackChannel) {
		if id := alertFor(m); id != "" {
			alerts[id] = append(alerts[id], m)
		}
	}
	repeats, stale, missing := 0, 0, 0
	var wrong []string
	raced, bySlack := 0, 0
	for _, p := range pipes {
		if !p.lowQuality {
			continue
		}
		got := alerts[p.id]
		if len(got) == 0 && p.decision == "slack" {
			missing++
		}
		repeats += max(len(got)-1, 0)
		for _, m := range got {
			if strings.Contains(string(m.Blocks), contract.SlackActionApprove) {
				stale++
			}
		}
		if p.decision != "slack" {
			continue
		}
		raced++
		var res contract.PipelineResult
		if err := c.GetWorkflow(context.Background(), p.id, "").Get(context.Background(), &res); err != nil {
			wrong = append(wrong, fmt.Sprintf("%s: %v", p.id, err))
			continue
		}
		if res.Approver == slackApprover {
			bySlack++
		}
		named := len(got) > 0 && strings.Contains(string(got[len(got)-1].Blocks), res.Approver)
		if (res.Approver != slackApprover && res.Approver != consoleRejecter) || !named {
			wrong = append(wrong, fmt.Sprintf("%s decided by %q (alert names them: %v)", p.id, res.Approver, named))
		}
	}
	r.add("each Slack alert once, none left with buttons", missing == 0 && repeats <= notifyKills && stale == 0,
		fmt.Sprintf("%d alerts, %d repeats, %d notify workers killed, %d with buttons after the end, %d raced runs without an alert", len(alerts), repeats, notifyKills, stale, missing))
	r.add("Slack and the console raced: one decision each, named in the result and the alert", len(wrong) == 0 && len(s.tb.errors()) == 0,
		fmt.Sprintf("%d races, Slack won %d %s %s", raced, bySlack, strings.Join(wrong, "; "), strings.Join(s.tb.errors(), "; ")))
}

// goroutineTB lets the Slack contract server's helpers run in a decider's
// goroutine: a failure is recorded for the report and ends that goroutine only,
// where testing.T's would have to end the test's own.
type goroutineTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (g *goroutineTB) Helper() {}

func (g *goroutineTB) Errorf(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.errs = append(g.errs, fmt.Sprintf(format, args...))
}

func (g *goroutineTB) Fatalf(format string, args ...any) { g.Errorf(format, args...); runtime.Goexit() }
func (g *goroutineTB) Fatal(args ...any)                 { g.Errorf("%s", fmt.Sprint(args...)); runtime.Goexit() }
func (g *goroutineTB) FailNow()                          { g.Errorf("failed"); runtime.Goexit() }

func (g *goroutineTB) errors() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.errs...)
}
