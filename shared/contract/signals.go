package contract

import (
	"errors"
	"fmt"
	"time"
)

// ApprovalSignal is the `approval` signal and update: a human decision on a run that is
// waiting because its quality was below threshold.
type ApprovalSignal struct {
	Approved bool   `json:"approved"`
	Approver string `json:"approver"`
	Reason   string `json:"reason"`
}

// ApprovalInput is the `approval` payload as callers send it, read by the workflow's
// signal and update handlers and by the API. Approved is a pointer so that a payload
// without a decision is refused instead of being read as a rejection.
type ApprovalInput struct {
	Approved *bool  `json:"approved"`
	Approver string `json:"approver"`
	Reason   string `json:"reason"`
}

// ErrNoDecision refuses an approval payload that says neither approve nor reject.
var ErrNoDecision = errors.New("approved is required: true to approve or false to reject")

// Check refuses a payload without a decision, or with an approver or reason longer
// than the bounds below.
func (in ApprovalInput) Check() error {
	switch {
	case in.Approved == nil:
		return ErrNoDecision
	case len(in.Approver) > MaxApproverBytes:
		return fmt.Errorf("approver is too long: expected at most %d bytes, got %d", MaxApproverBytes, len(in.Approver))
	case len(in.Reason) > MaxReasonBytes:
		return fmt.Errorf("reason is too long: expected at most %d bytes, got %d", MaxReasonBytes, len(in.Reason))
	}
	return nil
}

// Signal is the decision the payload carries (a rejection when it carries none).
func (in ApprovalInput) Signal() ApprovalSignal {
	return ApprovalSignal{Approved: in.Approved != nil && *in.Approved, Approver: in.Approver, Reason: in.Reason}
}

// Bounds of an approval's approver and reason, in bytes. The decision is written
// into history several times (the update, its answer, the result, notifications),
// so one near the server's 2 MB payload limit would fail the workflow task that
// records it; a workflow refuses a longer one.
const (
	MaxApproverBytes = 1 << 10
	MaxReasonBytes   = 16 << 10
)

// CancelSignal is the `cancel` signal, kept for the Python service's API; Temporal
// cancellation does the same.
type CancelSignal struct {
	RequestedBy string `json:"requested_by"`
	Reason      string `json:"reason"`
}

// SignalRefusals is what a workflow refused of the signals it was sent (undecodable
// or invalid ones): a count and the last, for the status document. It crosses
// continue-as-new, so it stays this small.
type SignalRefusals struct {
	Count int            `json:"count"`
	Last  *RefusedSignal `json:"last,omitempty"`
}

// RefusedSignal is one refused signal and why.
type RefusedSignal struct {
	Name   string    `json:"name"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}
