package contract

import (
	"encoding/json"
	"time"
)

// Notification kinds; PagerDuty dedup keys are derived from the workflow ID and kind.
const (
	KindQualityIssue = "quality_issue"
	KindCompletion   = "completion"
	KindFailure      = "failure"
)

// NotificationHeader is what every notification carries.
type NotificationHeader struct {
	WorkflowID string `json:"workflow_id"`
	PipelineID string `json:"pipeline_id"`
	Severity   string `json:"severity,omitempty"`
	Summary    string `json:"summary"`
}

// QualityIssueNotification asks a human to approve or reject a low-quality run.
type QualityIssueNotification struct {
	NotificationHeader
	Score            float64       `json:"score"`
	MinScore         float64       `json:"min_score"`
	FailingChecks    []CheckResult `json:"failing_checks"`
	ApprovalDeadline time.Time     `json:"approval_deadline"`
	// Decision is set on the follow-up sent once a human decided ("approved" or
	// "rejected"); it resolves the page the first notification opened.
	Decision string `json:"decision,omitempty"`
	Approver string `json:"approver,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Quality decisions a follow-up QualityIssueNotification reports.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// CompletionNotification reports a finished run.
type CompletionNotification struct {
	NotificationHeader
	Status   string   `json:"status"`
	Rows     int64    `json:"rows"`
	Duration Duration `json:"duration"`
}

// FailureNotification reports a failed or cancelled run.
type FailureNotification struct {
	NotificationHeader
	Error    string `json:"error"`
	Activity string `json:"activity,omitempty"`
	Attempts int32  `json:"attempts,omitempty"`
}

// NotificationResult lists the channels a notification reached.
type NotificationResult struct {
	Delivered []string `json:"delivered"`
}

// NotificationRequest is the input of NotificationDeliveryWorkflow: which notify
// activity to run and its payload, as the run that sent it built it.
type NotificationRequest struct {
	Activity string          `json:"activity"`
	Payload  json.RawMessage `json:"payload"`
	// After is the delivery workflow of the run's previous notification, which this
	// one waits for, so that a PagerDuty resolve never overtakes its trigger.
	After string `json:"after,omitempty"`
}

// MaxNotificationPayload bounds a notification's payload.
const MaxNotificationPayload = 256 << 10

// Validate checks the request names a notify activity and carries a JSON object.
func (r NotificationRequest) Validate() error {
	switch r.Activity {
	case ActivityNotifyQualityIssue, ActivityNotifyPipelineCompletion, ActivityNotifyFailure:
	default:
		return Invalid("activity", "one of %s, %s, %s, got %q", ActivityNotifyQualityIssue, ActivityNotifyPipelineCompletion,
			ActivityNotifyFailure, Trunc(r.Activity, 64))
	}
	if len(r.Payload) > MaxNotificationPayload {
		return Invalid("payload", "at most %d bytes, got %d", MaxNotificationPayload, len(r.Payload))
	}
	var obj map[string]any
	if json.Unmarshal(r.Payload, &obj) != nil || obj == nil {
		return Invalid("payload", "a JSON object")
	}
	if len(r.After) > MaxWorkflowIDLength {
		return Invalid("after", "a workflow id of at most %d characters, got %d", MaxWorkflowIDLength, len(r.After))
	}
	return nil
}
