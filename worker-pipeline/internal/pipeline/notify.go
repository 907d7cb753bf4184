package pipeline

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// notify sends a notification and waits only until the server has started its
// delivery workflow: a notify worker that is down never holds the run open.
func (r *run) notify(ctx workflow.Context, name string, payload any) {
	r.sender.Send(ctx, name, payload)
	r.sender.Started(ctx)
}

// approvalGate notifies people of low quality and waits for the first decision or
// the timeout. It returns a result when the run must end here.
func (r *run) approvalGate(ctx workflow.Context, q contract.QualityResult) (*contract.PipelineResult, error) {
	timeout := r.cfg.ApprovalTimeout.D()
	deadline := workflow.Now(ctx).Add(timeout)
	r.approval = &status.Approval{Deadline: deadline, MinScore: r.cfg.MinQualityScore}
	var failing []contract.CheckResult
	for _, c := range q.Checks {
		if !c.Passed {
			failing = append(failing, c)
		}
	}
	n := contract.QualityIssueNotification{
		NotificationHeader: r.header(contract.SeverityWarning, fmt.Sprintf("pipeline %s quality %.2f is below %.2f: approval needed", r.cfg.PipelineID, q.Score, r.cfg.MinQualityScore)),
		Score:              q.Score, MinScore: r.cfg.MinQualityScore, FailingChecks: failing, ApprovalDeadline: deadline}
	// The gate opens at once; the notification is sent alongside and its failure
	// only logged, so a down notify worker never blocks an approval.
	r.notifyAsync(ctx, contract.ActivityNotifyQualityIssue, n)
	r.awaiting = true
	r.setPhase(ctx, contract.PhaseAwaitingApproval)
	decided, err := workflow.AwaitWithTimeout(ctx, timeout, func() bool { return r.decision != nil })
	r.awaiting = false
	if err != nil {
		return nil, err
	}
	switch {
	case !decided:
		// Nobody decided: the run ends, and the follow-up closes the page the first
		// notification opened, saying why.
		reason := "approval timed out after " + formatHours(timeout)
		r.setPhase(ctx, contract.PhaseCancelled)
		r.notifyDecision(ctx, n, contract.ApprovalSignal{Approver: "approval timeout", Reason: "no decision within " + formatHours(timeout)}, true)
		return &contract.PipelineResult{Status: contract.StatusCancelled, Reason: reason}, nil
	case !r.decision.Approved:
		// The run ends in this task: wait for the follow-up, or it would never run.
		r.setPhase(ctx, contract.PhaseCancelled)
		r.notifyDecision(ctx, n, *r.decision, true)
		return &contract.PipelineResult{Status: contract.StatusCancelled,
			Reason: fmt.Sprintf("Quality below threshold; rejected by %s: %s", r.decision.Approver, r.decision.Reason)}, nil
	}
	r.notifyDecision(ctx, n, *r.decision, false)
	return nil, nil
}

// notifyDecision sends the follow-up that reports the decision and resolves the
// page the first quality notification opened. It waits when the run ends next.
func (r *run) notifyDecision(ctx workflow.Context, n contract.QualityIssueNotification, d contract.ApprovalSignal, wait bool) {
	n.Decision = contract.DecisionRejected
	if d.Approved {
		n.Decision = contract.DecisionApproved
	}
	n.Approver, n.Reason = d.Approver, d.Reason
	n.Summary = fmt.Sprintf("pipeline %s quality %.2f %s by %s: %s", r.cfg.PipelineID, n.Score, n.Decision, n.Approver, n.Reason)
	if wait {
		r.notify(ctx, contract.ActivityNotifyQualityIssue, n)
		return
	}
	r.notifyAsync(ctx, contract.ActivityNotifyQualityIssue, n)
}

// notifyAsync sends a notification without waiting even for its start, so the run
// goes on in this workflow task; awaitSent waits for the start before the run closes.
func (r *run) notifyAsync(ctx workflow.Context, name string, payload any) {
	r.sender.Send(ctx, name, payload)
}

// awaitSent waits until the server has started every delivery sent so far: a run
// that closed first would drop them.
func (r *run) awaitSent(ctx workflow.Context) { r.sender.Started(ctx) }

// formatHours renders 4h0m0s as "4h".
func formatHours(d time.Duration) string {
	s := d.String()
	for _, suffix := range []string{"0s", "0m"} {
		if len(s) > len(suffix)+1 && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)]
		}
	}
	return s
}
