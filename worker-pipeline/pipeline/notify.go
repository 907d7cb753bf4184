package pipeline

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/notifications"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/shared/status"
)

// notifyBudget bounds how long a run waits on a notification: a notify worker that
// is down must not hold a finished pipeline open.
const notifyBudget = 10 * time.Minute

func notifyOptions(ctx workflow.Context, name string) workflow.Context {
	o := retry.ActivityOptions(name)
	o.ScheduleToCloseTimeout = notifyBudget
	return workflow.WithActivityOptions(ctx, o)
}

// notify sends a notification and, for runs from notifications.ChangeByChild on,
// waits only until its delivery workflow has started. Older runs run the notify
// activity on notify-workers and wait for it; a failure is logged, never fatal.
func (r *run) notify(ctx workflow.Context, name string, payload any) {
	if notifications.ByChild(ctx) {
		r.sender.Send(ctx, name, payload)
		r.sender.Started(ctx)
		return
	}
	if err := workflow.ExecuteActivity(notifyOptions(ctx, name), name, payload).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("notification failed", "activity", name, "error", err)
	}
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

// notifyAsync sends a notification without waiting for it, so a down notify worker
// never holds the run in its current phase; a failure is only logged.
func (r *run) notifyAsync(ctx workflow.Context, name string, payload any) {
	if notifications.ByChild(ctx) {
		r.sender.Send(ctx, name, payload)
		return
	}
	fut := workflow.ExecuteActivity(notifyOptions(ctx, name), name, payload)
	r.sent = append(r.sent, fut)
	workflow.Go(ctx, func(gctx workflow.Context) {
		if err := fut.Get(gctx, nil); err != nil {
			workflow.GetLogger(gctx).Warn("notification failed", "activity", name, "error", err)
		}
	})
}

// awaitSent waits for notifications sent without waiting: until their delivery
// workflows started, or, in older runs, until delivered (a run that closed first
// would drop them).
func (r *run) awaitSent(ctx workflow.Context) {
	r.sender.Started(ctx)
	for _, f := range r.sent {
		_ = f.Get(ctx, nil)
	}
}

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
