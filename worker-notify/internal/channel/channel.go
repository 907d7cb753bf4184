// Package channel holds what every notification channel shares: the rendered message,
// the channel names and the error that says whether a failed delivery is worth retrying.
package channel

import (
	"fmt"
	"time"
)

// Channel names, as they appear in routing files, results and the outbox.
const (
	Outbox    = "outbox"
	Slack     = "slack"
	Email     = "email"
	PagerDuty = "pagerduty"
)

// Names lists every channel in display order.
var Names = []string{Outbox, Slack, Email, PagerDuty}

// Known tells whether name is a channel this worker can deliver to.
func Known(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Field is one labelled fact shown with a notification (score, rows, error ...).
type Field struct {
	Label string
	Value string
}

// Message is a notification rendered once and sent to every routed channel.
type Message struct {
	Time       time.Time
	Kind       string
	Severity   string
	WorkflowID string
	PipelineID string
	Title      string
	Summary    string
	Fields     []Field
	// Payload is the activity's input, kept whole for the outbox and PagerDuty details.
	Payload any
}

// ConsoleCommand is what an on-call engineer types to open the workflow.
func (m Message) ConsoleCommand() string {
	return "matih status " + m.WorkflowID
}

// Error is a failed delivery. Retryable errors are tried again by the activity's retry
// policy (after RetryAfter when the service asked for it); the others are final.
type Error struct {
	Channel    string
	Retryable  bool
	RetryAfter time.Duration
	Msg        string
}

func (e *Error) Error() string { return e.Channel + ": " + e.Msg }

// Temporary builds a retryable delivery error.
func Temporary(ch string, after time.Duration, format string, args ...any) *Error {
	return &Error{Channel: ch, Retryable: true, RetryAfter: after, Msg: fmt.Sprintf(format, args...)}
}

// Permanent builds a delivery error that no retry can fix.
func Permanent(ch, format string, args ...any) *Error {
	return &Error{Channel: ch, Msg: fmt.Sprintf(format, args...)}
}
