package testkit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SlackServer follows the parts of Slack's Web API the product uses, with their
// error answers, and sends interactivity requests signed as Slack signs them:
//
//	chat.postMessage, chat.update, chat.postEphemeral, conversations.history
//	(with message metadata), views.open (a trigger_id lives 3 seconds), and each
//	interaction's response_url.
//
// Errors: a wrong token answers invalid_auth, an unknown channel channel_not_found,
// an unknown ts message_not_found, and RateLimit(n) answers the next n calls with
// HTTP 429, ratelimited and Retry-After: 1.
type SlackServer struct {
	URL           string // the Web API base, ending in /api/
	Token         string
	SigningSecret string
	srv           *httptest.Server

	mu         sync.Mutex
	channels   map[string][]*SlackMessage
	triggers   map[string]time.Time
	views      map[string]SlackView
	responses  map[string]string // response_url id -> "channel ts"
	ephemerals []SlackEphemeral
	rateLimit  int
	seq        int
}

// SlackMessage is a posted message as the server keeps it.
type SlackMessage struct {
	Channel  string          `json:"channel"`
	TS       string          `json:"ts"`
	Text     string          `json:"text"`
	Blocks   json.RawMessage `json:"blocks,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Edits    int             `json:"-"`
}

// SlackView is a modal opened with views.open.
type SlackView struct {
	ID              string          `json:"id"`
	CallbackID      string          `json:"callback_id"`
	PrivateMetadata string          `json:"private_metadata"`
	Raw             json.RawMessage `json:"-"`
}

// SlackEphemeral is a message only one user saw.
type SlackEphemeral struct{ Channel, User, Text string }

// StartSlackServer starts the server for the test's life, with one channel per id.
func StartSlackServer(t testing.TB, channels ...string) *SlackServer {
	t.Helper()
	s := &SlackServer{Token: "xoxb-test-token", SigningSecret: "test-signing-secret",
		channels: map[string][]*SlackMessage{}, triggers: map[string]time.Time{}, views: map[string]SlackView{}, responses: map[string]string{}}
	for _, c := range channels {
		s.channels[c] = nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", s.api)
	mux.HandleFunc("POST /response/{id}", s.respond)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/api/"
	return s
}

// RateLimit answers the next n Web API calls with ratelimited.
func (s *SlackServer) RateLimit(n int) { s.mu.Lock(); s.rateLimit = n; s.mu.Unlock() }

// Messages returns a copy of a channel's messages, oldest first.
func (s *SlackServer) Messages(channel string) []SlackMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SlackMessage
	for _, m := range s.channels[channel] {
		out = append(out, *m)
	}
	return out
}

// Ephemerals returns what users were told privately.
func (s *SlackServer) Ephemerals() []SlackEphemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SlackEphemeral(nil), s.ephemerals...)
}

// View returns the modal opened with a trigger, if any.
func (s *SlackServer) View(trigger string) (SlackView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[trigger]
	return v, ok
}

func (s *SlackServer) api(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rateLimit > 0 {
		s.rateLimit--
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	form, body := url.Values{}, map[string]any{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.NewDecoder(r.Body).Decode(&body)
	} else {
		_ = r.ParseForm()
		form = r.PostForm
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = form.Get("token")
	}
	if token != s.Token {
		slackAnswer(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch r.PathValue("method") {
	case "chat.postMessage":
		slackAnswer(w, s.post(form))
	case "chat.update":
		slackAnswer(w, s.update(form))
	case "chat.postEphemeral":
		if _, ok := s.channels[form.Get("channel")]; !ok {
			slackAnswer(w, map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		s.ephemerals = append(s.ephemerals, SlackEphemeral{form.Get("channel"), form.Get("user"), form.Get("text")})
		slackAnswer(w, map[string]any{"ok": true, "message_ts": s.nextTS()})
	case "conversations.history":
		slackAnswer(w, s.history(form))
	case "views.open":
		slackAnswer(w, s.openView(body))
	default:
		slackAnswer(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (s *SlackServer) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq)
}

func (s *SlackServer) post(f url.Values) map[string]any {
	ch := f.Get("channel")
	if _, ok := s.channels[ch]; !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	if f.Get("text") == "" && f.Get("blocks") == "" {
		return map[string]any{"ok": false, "error": "no_text"}
	}
	m := &SlackMessage{Channel: ch, TS: s.nextTS(), Text: f.Get("text"), Blocks: rawOrNil(f.Get("blocks")), Metadata: rawOrNil(f.Get("metadata"))}
	s.channels[ch] = append(s.channels[ch], m)
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": map[string]any{"ts": m.TS, "text": m.Text}}
}

func (s *SlackServer) find(ch, ts string) *SlackMessage {
	for _, m := range s.channels[ch] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (s *SlackServer) update(f url.Values) map[string]any {
	ch := f.Get("channel")
	if _, ok := s.channels[ch]; !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	m := s.find(ch, f.Get("ts"))
	if m == nil {
		return map[string]any{"ok": false, "error": "message_not_found"}
	}
	m.Text, m.Blocks, m.Edits = f.Get("text"), rawOrNil(f.Get("blocks")), m.Edits+1
	if md := f.Get("metadata"); md != "" {
		m.Metadata = json.RawMessage(md)
	}
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "text": m.Text}
}

func (s *SlackServer) history(f url.Values) map[string]any {
	msgs, ok := s.channels[f.Get("channel")]
	if !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	withMeta := f.Get("include_all_metadata") == "true" || f.Get("include_all_metadata") == "1"
	var out []map[string]any
	for i := len(msgs) - 1; i >= 0; i-- { // newest first, as Slack answers
		m := map[string]any{"type": "message", "ts": msgs[i].TS, "text": msgs[i].Text}
		if withMeta && msgs[i].Metadata != nil {
			m["metadata"] = msgs[i].Metadata
		}
		out = append(out, m)
	}
	return map[string]any{"ok": true, "messages": out, "has_more": false}
}

func (s *SlackServer) openView(body map[string]any) map[string]any {
	trigger, _ := body["trigger_id"].(string)
	issued, ok := s.triggers[trigger]
	if !ok {
		return map[string]any{"ok": false, "error": "invalid_trigger_id"}
	}
	if time.Since(issued) > 3*time.Second {
		return map[string]any{"ok": false, "error": "expired_trigger_id"}
	}
	raw, _ := json.Marshal(body["view"])
	var v SlackView
	if err := json.Unmarshal(raw, &v); err != nil || v.CallbackID == "" {
		return map[string]any{"ok": false, "error": "invalid_arguments"}
	}
	s.seq++
	v.ID, v.Raw = fmt.Sprintf("V%06d", s.seq), raw
	s.views[trigger] = v
	return map[string]any{"ok": true, "view": map[string]any{"id": v.ID, "callback_id": v.CallbackID}}
}

// respond takes what a response_url gets: replace_original changes the message
// the interaction came from; response_type ephemeral tells the user alone.
func (s *SlackServer) respond(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var body struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ReplaceOriginal bool            `json:"replace_original"`
		ResponseType    string          `json:"response_type"`
	}
	where, ok := s.responses[r.PathValue("id")]
	if !ok || json.NewDecoder(r.Body).Decode(&body) != nil {
		http.Error(w, "invalid_response_url", http.StatusNotFound)
		return
	}
	ch, ts, _ := strings.Cut(where, " ")
	switch {
	case body.ReplaceOriginal:
		if m := s.find(ch, ts); m != nil {
			m.Text, m.Blocks, m.Edits = body.Text, body.Blocks, m.Edits+1
		}
	default:
		s.ephemerals = append(s.ephemerals, SlackEphemeral{Channel: ch, Text: body.Text})
	}
	_, _ = w.Write([]byte("ok"))
}

func slackAnswer(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func rawOrNil(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// SlackUser is who clicks.
type SlackUser struct{ ID, Name string }

// Click sends the block_actions request of a button of msg to target (the
// interactivity URL) and returns the trigger id it carried, with the answer.
func (s *SlackServer) Click(t testing.TB, target string, u SlackUser, actionID string, msg SlackMessage) (string, *http.Response) {
	t.Helper()
	s.mu.Lock()
	s.seq++
	trigger, respID := fmt.Sprintf("TR%06d", s.seq), fmt.Sprintf("R%06d", s.seq)
	s.triggers[trigger] = time.Now()
	s.responses[respID] = msg.Channel + " " + msg.TS
	s.mu.Unlock()
	value := ""
	var md struct {
		EventPayload map[string]any `json:"event_payload"`
	}
	if json.Unmarshal(msg.Metadata, &md) == nil {
		value, _ = md.EventPayload["workflow_id"].(string)
	}
	payload := map[string]any{
		"type": "block_actions", "trigger_id": trigger, "api_app_id": "A0MATIH", "team": map[string]any{"id": "T0MATIH"},
		"user":         map[string]any{"id": u.ID, "username": u.Name, "team_id": "T0MATIH"},
		"container":    map[string]any{"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel},
		"channel":      map[string]any{"id": msg.Channel},
		"message":      map[string]any{"ts": msg.TS, "text": msg.Text},
		"response_url": s.srv.URL + "/response/" + respID,
		"actions": []map[string]any{{"action_id": actionID, "block_id": "decision", "type": "button", "value": value,
			"action_ts": strconv.FormatInt(time.Now().Unix(), 10)}},
	}
	return trigger, s.Interact(t, target, payload, time.Now())
}

// Submit sends the view_submission of the modal opened with trigger, with reason
// typed into its reason input.
func (s *SlackServer) Submit(t testing.TB, target string, u SlackUser, trigger, block, action, reason string) *http.Response {
	t.Helper()
	v, ok := s.View(trigger)
	if !ok {
		t.Fatalf("testkit: no modal was opened with trigger %s", trigger)
	}
	payload := map[string]any{
		"type": "view_submission", "api_app_id": "A0MATIH", "team": map[string]any{"id": "T0MATIH"},
		"user": map[string]any{"id": u.ID, "username": u.Name, "team_id": "T0MATIH"},
		"view": map[string]any{"id": v.ID, "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
			"state": map[string]any{"values": map[string]any{block: map[string]any{action: map[string]any{"type": "plain_text_input", "value": reason}}}}},
	}
	return s.Interact(t, target, payload, time.Now())
}

// Interact posts payload as Slack does: form-encoded, signed with the signing
// secret and the given timestamp.
func (s *SlackServer) Interact(t testing.TB, target string, payload map[string]any, at time.Time) *http.Response {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	body := "payload=" + url.QueryEscape(string(raw))
	ts := strconv.FormatInt(at.Unix(), 10)
	return s.Send(t, target, body, ts, s.Sign(body, ts))
}

// Sign is Slack's v0 signature of body at timestamp ts.
func (s *SlackServer) Sign(body, ts string) string {
	mac := hmac.New(sha256.New, []byte(s.SigningSecret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts a raw interactivity request with the given timestamp and signature.
func (s *SlackServer) Send(t testing.TB, target, body, ts, signature string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ts != "" {
		req.Header.Set("X-Slack-Request-Timestamp", ts)
	}
	if signature != "" {
		req.Header.Set("X-Slack-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("testkit: post the interaction to %s: %v", target, err)
	}
	return resp
}
