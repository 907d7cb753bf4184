package slackapprove

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// rig is the handler behind an HTTP server, Slack's contract server, and a decider
// that records what it was asked and refuses a second decision as the workflow does.
type rig struct {
	slack *testkit.SlackServer
	url   string
	h     *Handler
	mu    sync.Mutex
	sent  []contract.ApprovalSignal
	reqs  []string // the request id of every decision asked
	audit []Event
}

func newRig(t *testing.T) *rig {
	r := &rig{slack: testkit.StartSlackServer(t, "C0ALERTS")}
	users := filepath.Join(t.TempDir(), "slack-users.yaml")
	require.NoError(t, os.WriteFile(users, []byte("users:\n"+
		"  - {slack: U0ANA, identity: ana@matih, scopes: [read, approve]}\n"+
		"  - {slack: U0BOB, identity: bob@matih, scopes: [read, approve]}\n"+
		"  - {slack: U0VIEW, identity: vic@matih, scopes: [read]}\n"), 0o600))
	us, err := LoadUsers(users)
	require.NoError(t, err)
	r.h, err = New(Options{SigningSecret: r.slack.SigningSecret, Token: r.slack.Token, APIURL: r.slack.URL, Users: us,
		Decide: func(_ context.Context, identity, id, request string, d contract.ApprovalSignal) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.reqs = append(r.reqs, request)
			if len(r.sent) > 0 {
				return errors.New("already decided by " + r.sent[0].Approver)
			}
			d.Approver = identity
			r.sent = append(r.sent, d)
			return nil
		},
		Audit: func(e Event) { r.mu.Lock(); r.audit = append(r.audit, e); r.mu.Unlock() }})
	require.NoError(t, err)
	srv := httptest.NewServer(r.h)
	t.Cleanup(srv.Close)
	r.url = srv.URL + Path
	return r
}

// alert posts an approval alert as worker-notify does and returns it.
func (r *rig) alert(t *testing.T, id string) testkit.SlackMessage {
	form := map[string][]string{"channel": {"C0ALERTS"}, "text": {"approve?"}, "token": {r.slack.Token},
		"metadata": {`{"event_type":"` + contract.SlackEventApproval + `","event_payload":{"workflow_id":"` + id + `"}}`}}
	resp, err := http.PostForm(r.slack.URL+"chat.postMessage", form)
	require.NoError(t, err)
	resp.Body.Close()
	msgs := r.slack.Messages("C0ALERTS")
	return msgs[len(msgs)-1]
}

func (r *rig) decide(t *testing.T, u testkit.SlackUser, action string, msg testkit.SlackMessage, reason string) {
	trigger, resp := r.slack.Click(t, r.url, u, action, msg)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()
	require.Eventually(t, func() bool { _, ok := r.slack.View(trigger); return ok }, 5*time.Second, 20*time.Millisecond, "the reason modal opens")
	resp = r.slack.Submit(t, r.url, u, trigger, contract.SlackReasonBlock, contract.SlackReasonAction, reason)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()
	r.h.Wait()
}

func TestAnApprovalFromSlackIsSentAsTheMappedPersonOnce(t *testing.T) {
	r := newRig(t)
	msg := r.alert(t, "pipeline-orders-1")
	ana, bob := testkit.SlackUser{ID: "U0ANA", Name: "ana"}, testkit.SlackUser{ID: "U0BOB", Name: "bob"}
	r.decide(t, ana, contract.SlackActionApprove, msg, "late feed, checked by hand")
	require.Len(t, r.sent, 1)
	assert.Equal(t, contract.ApprovalSignal{Approved: true, Approver: "ana@matih (slack U0ANA)", Reason: "late feed, checked by hand"}, r.sent[0])
	after := r.slack.Messages("C0ALERTS")[0]
	assert.NotContains(t, string(after.Blocks), contract.SlackActionApprove)
	assert.Contains(t, string(after.Blocks), "approved by ana@matih (slack U0ANA)")

	// A second person, a moment later: one decision, and they are told whose.
	r.decide(t, bob, contract.SlackActionReject, msg, "too many nulls")
	require.Len(t, r.sent, 1)
	require.Len(t, r.reqs, 2)
	assert.NotEqual(t, r.reqs[0], r.reqs[1], "two submissions are two requests")
	eph := r.slack.Ephemerals()
	require.NotEmpty(t, eph)
	assert.Contains(t, eph[len(eph)-1].Text, "already decided by ana@matih (slack U0ANA)")
	assert.Len(t, r.audit, 4, "two clicks and two submissions, each in the audit trail")
}

// A signed submission replayed to a second matih serve behind the same Slack app
// passes that process's own replay guard, but carries the same request id, so the
// workflow takes it as the same update (Temporal keeps one update per id).
func TestAReplayToAnotherProcessIsTheSameRequest(t *testing.T) {
	r := newRig(t)
	msg := r.alert(t, "pipeline-orders-4")
	ana := testkit.SlackUser{ID: "U0ANA", Name: "ana"}
	trigger, resp := r.slack.Click(t, r.url, ana, contract.SlackActionApprove, msg)
	resp.Body.Close()
	require.Eventually(t, func() bool { _, ok := r.slack.View(trigger); return ok }, 5*time.Second, 20*time.Millisecond)
	v, _ := r.slack.View(trigger)
	payload := map[string]any{"type": "view_submission", "user": map[string]any{"id": ana.ID, "username": ana.Name},
		"view": map[string]any{"id": v.ID, "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
			"state": map[string]any{"values": map[string]any{contract.SlackReasonBlock: map[string]any{contract.SlackReasonAction: map[string]any{"type": "plain_text_input", "value": "fine"}}}}}}
	other, err := New(r.h.opts)
	require.NoError(t, err)
	second := httptest.NewServer(other)
	defer second.Close()
	now := time.Now()
	for _, target := range []string{r.url, second.URL + Path} {
		resp := r.slack.Interact(t, target, payload, now)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	r.h.Wait()
	other.Wait()
	require.Len(t, r.reqs, 2, "each process sent the decision")
	assert.Equal(t, "slack-"+v.ID, r.reqs[0])
	assert.Equal(t, r.reqs[0], r.reqs[1], "as one request")
}

func TestSlackRefusesWhoMayNotDecideAndWhatSlackDidNotSign(t *testing.T) {
	r := newRig(t)
	msg := r.alert(t, "pipeline-orders-2")
	for _, c := range []struct {
		user testkit.SlackUser
		want string
	}{
		{testkit.SlackUser{ID: "U0EVE", Name: "eve"}, "not linked to a MATIH identity"},
		{testkit.SlackUser{ID: "U0VIEW", Name: "vic"}, "vic@matih may not decide"},
	} {
		trigger, resp := r.slack.Click(t, r.url, c.user, contract.SlackActionApprove, msg)
		resp.Body.Close()
		r.h.Wait()
		_, opened := r.slack.View(trigger)
		assert.False(t, opened, "no modal for %s", c.user.ID)
		eph := r.slack.Ephemerals()
		require.NotEmpty(t, eph)
		assert.Contains(t, eph[len(eph)-1].Text, c.want)
	}

	body := "payload=%7B%22type%22%3A%22block_actions%22%7D"
	now := time.Now()
	ts := func(t time.Time) string { return itoa(t.Unix()) }
	for name, send := range map[string]func() *http.Response{
		"unsigned":      func() *http.Response { return r.slack.Send(t, r.url, body, "", "") },
		"bad signature": func() *http.Response { return r.slack.Send(t, r.url, body, ts(now), "v0=00ff") },
		"old": func() *http.Response {
			return r.slack.Send(t, r.url, body, ts(now.Add(-6*time.Minute)), r.slack.Sign(body, ts(now.Add(-6*time.Minute))))
		},
	} {
		resp := send()
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
	}
	signed := r.slack.Sign(body, ts(now))
	first := r.slack.Send(t, r.url, body, ts(now), signed)
	first.Body.Close()
	assert.Equal(t, http.StatusOK, first.StatusCode)
	again := r.slack.Send(t, r.url, body, ts(now), signed)
	again.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, again.StatusCode, "a replayed request is refused")
	assert.Empty(t, r.sent, "nothing was decided")
}

func TestAMissingReasonKeepsTheModalOpen(t *testing.T) {
	r := newRig(t)
	msg := r.alert(t, "pipeline-orders-3")
	ana := testkit.SlackUser{ID: "U0ANA", Name: "ana"}
	trigger, resp := r.slack.Click(t, r.url, ana, contract.SlackActionReject, msg)
	resp.Body.Close()
	require.Eventually(t, func() bool { _, ok := r.slack.View(trigger); return ok }, 5*time.Second, 20*time.Millisecond)
	resp = r.slack.Submit(t, r.url, ana, trigger, contract.SlackReasonBlock, contract.SlackReasonAction, "   ")
	defer resp.Body.Close()
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	require.NoError(t, jsonDecode(resp, &answer))
	assert.Equal(t, "errors", answer.ResponseAction)
	assert.Contains(t, answer.Errors[contract.SlackReasonBlock], "reason")
	r.h.Wait()
	assert.Empty(t, r.sent)
}

func TestTheUsersFileIsChecked(t *testing.T) {
	for body, want := range map[string]string{
		"users:\n  - {slack: ana, identity: ana@matih, scopes: [approve]}\n":                                         "users[0].slack: expected a Slack user id",
		"users:\n  - {slack: U0ANA, identity: '', scopes: [approve]}\n":                                              "users[0].identity",
		"users:\n  - {slack: U0ANA, identity: ana@matih, scopes: [admin]}\n":                                         "users[0].scopes: expected read or approve",
		"users:\n  - {slack: U0ANA, identity: a, scopes: [read]}\n  - {slack: U0ANA, identity: b, scopes: [read]}\n": "listed twice",
		"users:\n  - {slack: U0ANA, identity: ana@matih, role: operate}\n":                                           "field role not found",
	} {
		path := filepath.Join(t.TempDir(), "users.yaml")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		_, err := LoadUsers(path)
		assert.ErrorContains(t, err, want)
	}
}
