package channelfakes

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// SlackPath is the webhook path the fake accepts; other paths answer 404 no_service.
const SlackPath = "/services/T0001/B0001/"

// Slack is an incoming-webhook server: POST JSON with text and/or blocks to the
// webhook URL; 200 "ok", 400 "invalid_payload"/"no_text", 403 "invalid_token",
// 404 "no_service", 429 with Retry-After, 500.
type Slack struct {
	script
	Server *httptest.Server
	// URL is the webhook URL (a secret in production), ending in Token.
	URL   string
	Token string

	mu       sync.Mutex
	received []map[string]any
	attempts int
}

// NewSlack starts a webhook server whose URL ends in token.
func NewSlack(t testing.TB, token string) *Slack {
	s := &Slack{Token: token}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Server.Close)
	s.URL = s.Server.URL + SlackPath + token
	return s
}

// Messages are the accepted webhook bodies.
func (s *Slack) Messages() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.received...)
}

// Attempts counts every request, answered well or not.
func (s *Slack) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

func (s *Slack) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != SlackPath+s.Token {
		http.Error(w, "no_service", http.StatusNotFound)
		return
	}
	switch a := s.next(); a.Status {
	case 0:
	case http.StatusTooManyRequests:
		writeRetryAfter(w, a)
		http.Error(w, "rate_limited", a.Status)
		return
	case http.StatusInternalServerError:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(a.Status)
		_, _ = io.WriteString(w, "<html><body>Internal Server Error</body></html>")
		return
	default:
		http.Error(w, map[int]string{400: "invalid_payload", 403: "invalid_token", 404: "no_service"}[a.Status], a.Status)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if _, ok := body["text"]; !ok {
		if _, ok := body["blocks"]; !ok {
			http.Error(w, "no_text", http.StatusBadRequest)
			return
		}
	}
	s.mu.Lock()
	s.received = append(s.received, body)
	s.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}
