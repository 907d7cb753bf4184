package notify

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-notify/internal/channel"
	"github.com/matih/ops/worker-notify/internal/route"
)

// maxShownChecks bounds the failing checks listed in one message.
const maxShownChecks = 5

// checkHeader validates what every notification carries.
func checkHeader(h contract.NotificationHeader) error {
	if strings.TrimSpace(h.WorkflowID) == "" {
		return contract.Invalid("workflow_id", "required: the workflow the notification is about")
	}
	if strings.TrimSpace(h.PipelineID) == "" {
		return contract.Invalid("pipeline_id", "required: the pipeline the workflow runs")
	}
	if h.Severity != "" && !route.ValidSeverity(h.Severity) {
		return contract.Invalid("severity", "one of %s or empty, got %q", strings.Join(route.Severities, ", "), h.Severity)
	}
	return nil
}

// base fills the parts of a message every kind shares.
func base(h contract.NotificationHeader, kind, severity, title string, now time.Time, payload any) channel.Message {
	summary := strings.TrimSpace(h.Summary)
	if summary == "" {
		summary = title
	}
	return channel.Message{
		Time: now, Kind: kind, Severity: severity,
		WorkflowID: h.WorkflowID, PipelineID: h.PipelineID,
		Title: title, Summary: summary, Payload: payload,
	}
}

func qualityMessage(n contract.QualityIssueNotification, r route.Routing, now time.Time) (channel.Message, error) {
	if err := checkHeader(n.NotificationHeader); err != nil {
		return channel.Message{}, err
	}
	if math.IsNaN(n.Score) || n.Score < 0 || n.Score > 1 {
		return channel.Message{}, contract.Invalid("score", "a quality score in [0,1], got %v", n.Score)
	}
	switch n.Decision {
	case "", contract.DecisionApproved, contract.DecisionRejected:
	default:
		return channel.Message{}, contract.Invalid("decision", "%q, %q or empty, got %q",
			contract.DecisionApproved, contract.DecisionRejected, n.Decision)
	}
	sev := r.Severity(contract.KindQualityIssue, n.PipelineID, n.Score, n.Severity)
	title := fmt.Sprintf("Quality issue in pipeline %s needs approval", n.PipelineID)
	if n.Decision != "" {
		// The follow-up is news, not an alarm.
		sev = r.Severity(contract.KindCompletion, n.PipelineID, 0, n.Severity)
		title = fmt.Sprintf("Quality issue in pipeline %s %s", n.PipelineID, n.Decision)
		if n.Approver != "" {
			title += " by " + n.Approver
		}
	}
	m := base(n.NotificationHeader, contract.KindQualityIssue, sev, title, now, n)
	m.Fields = append(m.Fields, channel.Field{Label: "Score", Value: fmt.Sprintf("%.3f (minimum %.3f)", n.Score, n.MinScore)})
	if checks := failingChecks(n.FailingChecks); checks != "" {
		m.Fields = append(m.Fields, channel.Field{Label: "Failing checks", Value: checks})
	}
	if n.Decision == "" && !n.ApprovalDeadline.IsZero() {
		m.Fields = append(m.Fields, channel.Field{Label: "Approval deadline", Value: n.ApprovalDeadline.UTC().Format(time.RFC3339)})
	}
	if n.Reason != "" {
		m.Fields = append(m.Fields, channel.Field{Label: "Reason", Value: n.Reason})
	}
	return m, nil
}

// failingChecks lists the first failing checks with their evidence.
func failingChecks(checks []contract.CheckResult) string {
	var lines []string
	for i, c := range checks {
		if i == maxShownChecks {
			lines = append(lines, fmt.Sprintf("... and %d more", len(checks)-maxShownChecks))
			break
		}
		name := c.Name
		if name == "" {
			name = c.Type
		}
		line := fmt.Sprintf("%s: %d of %d rows failed", name, c.FailedRows, c.TotalRows)
		if c.Detail != "" {
			line += " (" + c.Detail + ")"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func completionMessage(n contract.CompletionNotification, r route.Routing, now time.Time) (channel.Message, error) {
	if err := checkHeader(n.NotificationHeader); err != nil {
		return channel.Message{}, err
	}
	if n.Rows < 0 {
		return channel.Message{}, contract.Invalid("rows", "a non-negative row count, got %d", n.Rows)
	}
	status := n.Status
	if status == "" {
		status = contract.StatusCompleted
	}
	sev := r.Severity(contract.KindCompletion, n.PipelineID, 0, n.Severity)
	title := fmt.Sprintf("Pipeline %s finished: %s", n.PipelineID, status)
	m := base(n.NotificationHeader, contract.KindCompletion, sev, title, now, n)
	m.Fields = append(m.Fields,
		channel.Field{Label: "Status", Value: status},
		channel.Field{Label: "Rows", Value: fmt.Sprintf("%d", n.Rows)},
		channel.Field{Label: "Duration", Value: time.Duration(n.Duration).String()},
	)
	return m, nil
}

func failureMessage(n contract.FailureNotification, r route.Routing, now time.Time) (channel.Message, error) {
	if err := checkHeader(n.NotificationHeader); err != nil {
		return channel.Message{}, err
	}
	if strings.TrimSpace(n.Error) == "" {
		return channel.Message{}, contract.Invalid("error", "required: what went wrong")
	}
	sev := r.Severity(contract.KindFailure, n.PipelineID, 0, n.Severity)
	title := fmt.Sprintf("Pipeline %s failed", n.PipelineID)
	if n.Activity != "" {
		title += " in " + n.Activity
	}
	m := base(n.NotificationHeader, contract.KindFailure, sev, title, now, n)
	if n.Activity != "" {
		m.Fields = append(m.Fields, channel.Field{Label: "Activity", Value: n.Activity})
	}
	if n.Attempts > 0 {
		m.Fields = append(m.Fields, channel.Field{Label: "Attempts", Value: fmt.Sprintf("%d", n.Attempts)})
	}
	m.Fields = append(m.Fields, channel.Field{Label: "Error", Value: n.Error})
	return m, nil
}
