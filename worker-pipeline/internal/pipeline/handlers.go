package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/signals"
	"github.com/matih/ops/shared/status"
)

// setupHandlers registers the queries, the approval update and the approval and
// cancel signals. The signal and the update share one decision path.
func (t *tracker) setupHandlers(ctx workflow.Context, cancelRun workflow.CancelFunc) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (status.Document, error) {
		return t.document(ctx), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryProgress, func() (float64, error) {
		return t.progress, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateApproval,
		func(ctx workflow.Context, in contract.ApprovalInput) (status.Approval, error) {
			if !t.decide(ctx, in.Signal()) {
				// A signal decided first within the same task: say so, not "approved".
				return status.Approval{}, fmt.Errorf("already decided by %s", t.decision.Approver)
			}
			return *t.approval, nil
		},
		workflow.UpdateHandlerOptions{Validator: t.validateApprovalInput},
	); err != nil {
		return err
	}
	approvals := workflow.GetSignalChannel(ctx, contract.SignalApproval)
	cancels := workflow.GetSignalChannel(ctx, contract.SignalCancel)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			sel := workflow.NewSelector(gctx)
			sel.AddReceive(approvals, func(c workflow.ReceiveChannel, _ bool) { t.onApproval(gctx, c) })
			sel.AddReceive(cancels, func(c workflow.ReceiveChannel, _ bool) {
				var sig contract.CancelSignal
				if _, err := signals.ReceiveAsync(c, &sig); err != nil {
					t.refused.Refuse(gctx, contract.SignalCancel, err.Error())
					return
				}
				if t.cancelReq == nil {
					t.cancelReq = &sig
					cancelRun()
				}
			})
			sel.Select(gctx)
		}
	})
	return nil
}

// onApproval takes one approval signal. One that does not decode, or that the
// gate cannot take, is refused with its reason, which the status document shows.
func (t *tracker) onApproval(ctx workflow.Context, c workflow.ReceiveChannel) {
	var in contract.ApprovalInput
	if _, err := signals.ReceiveAsync(c, &in); err != nil {
		t.refused.Refuse(ctx, contract.SignalApproval, err.Error())
		return
	}
	if err := in.Check(); err != nil {
		t.refused.Refuse(ctx, contract.SignalApproval, err.Error())
		return
	}
	sig := in.Signal()
	if err := t.validateApproval(sig); err != nil {
		t.refused.Refuse(ctx, contract.SignalApproval, err.Error())
	}
	t.decide(ctx, sig)
}

// validateApprovalInput is the update's validator: a payload without a decision or
// over the bounds, or one the gate cannot take, is refused before it reaches history.
func (t *tracker) validateApprovalInput(in contract.ApprovalInput) error {
	if err := in.Check(); err != nil {
		return err
	}
	return t.validateApproval(in.Signal())
}

// validateApproval refuses an update the workflow cannot take, so the console gets
// a synchronous answer. It must not change state.
func (t *tracker) validateApproval(sig contract.ApprovalSignal) error {
	if strings.TrimSpace(sig.Approver) == "" {
		return errors.New("approver is required")
	}
	if err := t.mayDecide(sig.Approver); err != nil {
		return err
	}
	if t.decision != nil {
		return fmt.Errorf("already decided by %s", t.decision.Approver)
	}
	if !t.awaiting {
		return fmt.Errorf("not awaiting approval (phase %s)", t.phase)
	}
	return nil
}

// mayDecide applies the definition's approval authority (approvers, four eyes).
func (t *tracker) mayDecide(approver string) error {
	if t.authority == nil {
		return nil
	}
	return t.authority(approver)
}

// decide applies the first decision taken while awaiting approval and reports
// whether it did; any other (early, duplicate, or anonymous) is recorded and ignored.
func (t *tracker) decide(ctx workflow.Context, sig contract.ApprovalSignal) bool {
	if t.decision != nil || !t.awaiting || strings.TrimSpace(sig.Approver) == "" || t.mayDecide(sig.Approver) != nil {
		t.ignored = append(t.ignored, sig)
		workflow.GetLogger(ctx).Info("approval ignored", "approver", sig.Approver, "phase", t.phase)
		return false
	}
	now := workflow.Now(ctx)
	t.decision = &sig
	t.approval.Decided, t.approval.Approved = true, sig.Approved
	t.approval.Approver, t.approval.Reason, t.approval.DecidedAt = sig.Approver, sig.Reason, &now
	return true
}
