package data

import (
	"regexp"
	"sort"
	"strings"
	"time"
)

// Failure is one failed run as the failures view groups it.
type Failure struct {
	WorkflowID string
	RunID      string
	Type       string // workflow type
	ClosedAt   time.Time
	// ErrorType is the failure's class: an application error's type, or Timeout,
	// Terminated, Canceled.
	ErrorType string
	Message   string
	// Activity is the activity whose failure failed the run, if one did.
	Activity string
	// BuildID is the worker build that last ran the run: its Worker Deployment
	// version where versioning is on.
	BuildID string
}

// FailureGroup is failures alike: the same error type and message once ids and numbers
// are masked, on the same build.
type FailureGroup struct {
	ErrorType string    `json:"errorType"`
	Message   string    `json:"message"`
	Activity  string    `json:"activity,omitempty"`
	BuildID   string    `json:"buildId,omitempty"`
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	// Example is the most recent run of the group, to open.
	ExampleWorkflowID string `json:"exampleWorkflowId"`
	ExampleRunID      string `json:"exampleRunId"`
}

var (
	uuidLike = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	hexLike  = regexp.MustCompile(`\b[0-9a-fA-F]{12,}\b`)
	quoted   = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	numbers  = regexp.MustCompile(`\d+(\.\d+)?`)
	spaces   = regexp.MustCompile(`\s+`)
)

// NormalizeMessage masks what differs between failures of one cause (ids, quoted
// values, numbers), so they group: `row 17 of "s3://x/1.parquet"` becomes `row N of "…"`.
func NormalizeMessage(msg string) string {
	msg = uuidLike.ReplaceAllString(msg, "ID")
	msg = hexLike.ReplaceAllString(msg, "ID")
	msg = quoted.ReplaceAllString(msg, `"…"`)
	msg = numbers.ReplaceAllString(msg, "N")
	msg = strings.TrimSpace(spaces.ReplaceAllString(msg, " "))
	if r := []rune(msg); len(r) > 300 {
		msg = string(r[:300]) + "…"
	}
	return msg
}

// GroupFailures groups failures by error type and normalised message, then by build;
// the largest group first, then the most recent.
func GroupFailures(fs []Failure) []FailureGroup {
	byKey := map[string]*FailureGroup{}
	var order []string
	for _, f := range fs {
		msg := NormalizeMessage(f.Message)
		key := f.ErrorType + "\x00" + msg + "\x00" + f.Activity + "\x00" + f.BuildID
		g, ok := byKey[key]
		if !ok {
			g = &FailureGroup{ErrorType: f.ErrorType, Message: msg, Activity: f.Activity, BuildID: f.BuildID,
				FirstSeen: f.ClosedAt, LastSeen: f.ClosedAt, ExampleWorkflowID: f.WorkflowID, ExampleRunID: f.RunID}
			byKey[key] = g
			order = append(order, key)
		}
		g.Count++
		if f.ClosedAt.Before(g.FirstSeen) {
			g.FirstSeen = f.ClosedAt
		}
		if !f.ClosedAt.Before(g.LastSeen) {
			g.LastSeen, g.ExampleWorkflowID, g.ExampleRunID = f.ClosedAt, f.WorkflowID, f.RunID
		}
	}
	out := make([]FailureGroup, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].LastSeen.After(out[j].LastSeen)
	})
	return out
}
