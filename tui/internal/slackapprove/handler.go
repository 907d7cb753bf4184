// Package slackapprove takes Slack's interactivity requests for the approval alert
// worker-notify posts: a click on Approve or Reject opens a modal asking the reason,
// and submitting it sends the `approval` update as the person the server maps the
// Slack user to. Slack is answered at once; the modal, the update and the message
// change happen after the answer, since Slack waits 3 seconds at most.
//
// Every request is checked before anything else is read: Slack's v0 signature
// (HMAC-SHA256 with the signing secret), a timestamp within 5 minutes, and no
// signature seen before (a replayed request). The approver is chosen here, never
// taken from the request.
package slackapprove

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/slackmsg"
)

// Path is where Slack's interactivity requests come.
const Path = "/v1/slack/interactions"

// maxBody bounds a request: Slack's interaction payloads are a few KiB.
const maxBody = 256 << 10

// replayWindow is how long a signature is remembered: Slack's own 5-minute window.
const replayWindow = 5 * time.Minute

// Decider sends a decision as identity, through the `approval` update. requestID
// names the Slack submission: the same submission received twice, by this process
// or another behind the same Slack app, must be one update.
type Decider func(ctx context.Context, identity, workflowID, requestID string, d contract.ApprovalSignal) error

// Lookup tells who decided a run that took no decision from Slack ("" if nobody).
type Lookup func(ctx context.Context, workflowID string) (decided string, err error)

// Event is one interaction for the audit trail.
type Event struct {
	Identity, Action, Workflow, Reason string
	Err                                error
}

// Options configure the handler.
type Options struct {
	SigningSecret string
	Token         string // the bot token, for views.open and ephemeral answers
	APIURL        string // Slack's Web API; empty: https://slack.com/api/
	Users         Users
	Decide        Decider
	Decided       Lookup // optional: names the earlier decision in a refusal
	Audit         func(Event)
	Logger        *slog.Logger
	HTTPClient    *http.Client
}

// Handler serves Path.
type Handler struct {
	opts Options
	api  *slack.Client
	mu   sync.Mutex
	seen map[string]time.Time
	wg   sync.WaitGroup
}

// New builds the handler.
func New(o Options) (*Handler, error) {
	if o.SigningSecret == "" || o.Token == "" {
		return nil, errors.New("slack: both the signing secret and the bot token are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Audit == nil {
		o.Audit = func(Event) {}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	opts := []slack.Option{slack.OptionHTTPClient(o.HTTPClient)}
	if o.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(strings.TrimSuffix(o.APIURL, "/")+"/"))
	}
	return &Handler{opts: o, api: slack.New(o.Token, opts...), seen: map[string]time.Time{}}, nil
}

// Wait returns once the work begun after the answers is done (tests, shutdown).
func (h *Handler) Wait() { h.wg.Wait() }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "expected POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	if err := h.verify(r.Header, body); err != nil {
		h.opts.Audit(Event{Identity: "slack", Action: "slack-refused", Err: err})
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "body: expected Slack's form-encoded interaction", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "payload: expected Slack's interaction JSON", http.StatusBadRequest)
		return
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		h.click(w, cb)
	case slack.InteractionTypeViewSubmission:
		h.submit(w, cb)
	default:
		w.WriteHeader(http.StatusOK) // nothing else is ours to answer
	}
}

// verify checks the signature and timestamp, then refuses a signature seen before.
func (h *Handler) verify(header http.Header, body []byte) error {
	if header.Get("X-Slack-Signature") == "" || header.Get("X-Slack-Request-Timestamp") == "" {
		return errors.New("unsigned request: X-Slack-Signature and X-Slack-Request-Timestamp are required")
	}
	sv, err := slack.NewSecretsVerifier(header, h.opts.SigningSecret)
	if errors.Is(err, slack.ErrExpiredTimestamp) {
		return errors.New("request timestamp more than 5 minutes from now: refused as a possible replay")
	}
	if err != nil {
		return fmt.Errorf("bad signature headers: %v", err)
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	if err := sv.Ensure(); err != nil {
		return errors.New("bad signature: the request was not signed with this app's signing secret")
	}
	sig := header.Get("X-Slack-Signature")
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for s, at := range h.seen {
		if now.Sub(at) > replayWindow {
			delete(h.seen, s)
		}
	}
	if _, dup := h.seen[sig]; dup {
		return errors.New("replayed request: this signed request was received before")
	}
	h.seen[sig] = now
	return nil
}

// later runs work after Slack has its answer.
func (h *Handler) later(f func(ctx context.Context)) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f(ctx)
	}()
}

// tell answers the clicking user alone, through the click's response_url.
func (h *Handler) tell(ctx context.Context, responseURL, text string) {
	if responseURL == "" {
		return
	}
	msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: false, Text: text}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, h.opts.HTTPClient, msg); err != nil {
		h.opts.Logger.Warn("slack: answer through response_url", "err", err)
	}
}

// outcome replaces the alert with its decision, without buttons.
func (h *Handler) outcome(ctx context.Context, m meta, approver, reason string) {
	decision := contract.DecisionRejected
	if m.Approve {
		decision = contract.DecisionApproved
	}
	blocks := slackmsg.OutcomeBlocks(m.Pipeline, m.Workflow, decision, approver, reason, time.Now())
	msg := &slack.WebhookMessage{ReplaceOriginal: true, Text: slackmsg.OutcomeText(m.Pipeline, decision, approver),
		Blocks: &slack.Blocks{BlockSet: blocks}}
	if err := slack.PostWebhookCustomHTTPContext(ctx, m.ResponseURL, h.opts.HTTPClient, msg); err != nil {
		h.opts.Logger.Warn("slack: replace the alert", "err", err, "workflow", m.Workflow)
	}
}
