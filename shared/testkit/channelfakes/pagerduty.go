package channelfakes

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Event is the part of an Events API v2 event the fake checks.
type Event struct {
	RoutingKey string `json:"routing_key"`
	Action     string `json:"event_action"`
	DedupKey   string `json:"dedup_key"`
	Payload    *struct {
		Summary  string         `json:"summary"`
		Source   string         `json:"source"`
		Severity string         `json:"severity"`
		Class    string         `json:"class"`
		Details  map[string]any `json:"custom_details"`
	} `json:"payload"`
}

// PagerDuty is an Events API v2 endpoint (POST /v2/enqueue) that keeps incidents by
// dedup key: 202 {"status":"success"}, 400 "invalid event" with errors, 429
// "throttle event", 500.
type PagerDuty struct {
	script
	Server *httptest.Server
	// RoutingKey is the only key accepted; it must be 32 characters like a real one.
	RoutingKey string
	// EchoKeyOn400 makes 400 answers repeat the routing key, as a careless proxy might.
	EchoKeyOn400 bool

	mu        sync.Mutex
	events    []Event
	attempts  int
	incidents map[string]string // dedup key -> "triggered" or "resolved"
}

// NewPagerDuty starts the endpoint; its URL is the Events API base URL.
func NewPagerDuty(t testing.TB, routingKey string) *PagerDuty {
	p := &PagerDuty{RoutingKey: routingKey, incidents: map[string]string{}}
	p.Server = httptest.NewServer(http.HandlerFunc(p.handle))
	t.Cleanup(p.Server.Close)
	return p
}

// Events are the accepted events in order.
func (p *PagerDuty) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// Attempts counts every request.
func (p *PagerDuty) Attempts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts
}

// Incident is the state of a dedup key: "", "triggered" or "resolved".
func (p *PagerDuty) Incident(dedupKey string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.incidents[dedupKey]
}

func (p *PagerDuty) handle(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.attempts++
	p.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" {
		writeJSON(w, http.StatusNotFound, map[string]any{"status": "not found", "message": "Not Found"})
		return
	}
	var ev Event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		p.invalid(w, ev, "Event object is invalid", "Malformed JSON")
		return
	}
	switch a := p.next(); a.Status {
	case 0:
	case http.StatusBadRequest:
		p.invalid(w, ev, "Event object is invalid", "scripted rejection")
		return
	case http.StatusTooManyRequests:
		writeRetryAfter(w, a)
		writeJSON(w, a.Status, map[string]any{"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."})
		return
	default:
		writeJSON(w, a.Status, map[string]any{"status": "error", "message": http.StatusText(a.Status)})
		return
	}
	if msg := p.check(ev); msg != "" {
		p.invalid(w, ev, "Event object is invalid", msg)
		return
	}
	p.mu.Lock()
	p.events = append(p.events, ev)
	if ev.Action == "trigger" {
		p.incidents[ev.DedupKey] = "triggered"
	} else if ev.Action == "resolve" && p.incidents[ev.DedupKey] != "" {
		p.incidents[ev.DedupKey] = "resolved"
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

// check applies the Events API's validation rules.
func (p *PagerDuty) check(ev Event) string {
	switch {
	case len(ev.RoutingKey) != 32:
		return "Length of 'routing_key' is incorrect (should be 32 characters)"
	case ev.RoutingKey != p.RoutingKey:
		return "Invalid routing key"
	case ev.Action != "trigger" && ev.Action != "acknowledge" && ev.Action != "resolve":
		return "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"
	case ev.Action != "trigger" && ev.DedupKey == "":
		return "'dedup_key' is missing or blank"
	case len(ev.DedupKey) > 255:
		return "'dedup_key' is too long"
	case ev.Action == "trigger" && ev.Payload == nil:
		return "'payload' is missing or blank"
	case ev.Action == "trigger" && (ev.Payload.Summary == "" || ev.Payload.Source == ""):
		return "'payload.summary' and 'payload.source' are required"
	case ev.Action == "trigger" && !map[string]bool{"critical": true, "error": true, "warning": true, "info": true}[ev.Payload.Severity]:
		return "'payload.severity' is invalid"
	}
	return ""
}

func (p *PagerDuty) invalid(w http.ResponseWriter, ev Event, msg, detail string) {
	if p.EchoKeyOn400 {
		detail += " for routing key " + ev.RoutingKey
	}
	writeJSON(w, http.StatusBadRequest, map[string]any{"status": "invalid event", "message": msg, "errors": []string{detail}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
