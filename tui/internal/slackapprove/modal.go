package slackapprove

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/matih/ops/shared/contract"
)

// meta travels in the modal's private_metadata, from the click to the submission.
type meta struct {
	Workflow    string `json:"workflow_id"`
	Pipeline    string `json:"pipeline_id,omitempty"`
	Approve     bool   `json:"approve"`
	ResponseURL string `json:"response_url"`
}

// maxReason bounds the reason, as the API bounds it.
const maxReason = 2000

// click answers a button: a user who may decide gets the reason modal, anyone else
// is told why not. Slack has its answer before the modal is opened.
func (h *Handler) click(w http.ResponseWriter, cb slack.InteractionCallback) {
	w.WriteHeader(http.StatusOK)
	if len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != contract.SlackActionApprove && act.ActionID != contract.SlackActionReject {
		return // Open is a link; Slack reports its click too
	}
	m := meta{Workflow: act.Value, Approve: act.ActionID == contract.SlackActionApprove, ResponseURL: cb.ResponseURL}
	user, refusal := h.opts.Users.May(cb.User.ID)
	action := "slack-" + verb(m.Approve) + "-click"
	if refusal != "" {
		h.opts.Audit(Event{Identity: "slack " + cb.User.ID, Action: action, Workflow: m.Workflow, Err: fmt.Errorf("refused: %s", refusal)})
		h.later(func(ctx context.Context) { h.tell(ctx, cb.ResponseURL, refusal) })
		return
	}
	h.opts.Audit(Event{Identity: contract.SlackApprover(user.Identity, cb.User.ID), Action: action, Workflow: m.Workflow})
	trigger := cb.TriggerID
	h.later(func(ctx context.Context) {
		if _, err := h.api.OpenViewContext(ctx, trigger, modal(m, user.Identity)); err != nil {
			h.opts.Logger.Warn("slack: open the reason modal", "err", err, "workflow", m.Workflow)
			h.tell(ctx, cb.ResponseURL, "Could not open the form for a reason ("+err.Error()+"); try again, or decide in the console.")
		}
	})
}

func verb(approve bool) string {
	if approve {
		return "approve"
	}
	return "reject"
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// modal asks the reason, which is required.
func modal(m meta, identity string) slack.ModalViewRequest {
	raw, _ := json.Marshal(m)
	title := map[bool]string{true: "Approve run", false: "Reject run"}[m.Approve]
	input := slack.NewPlainTextInputBlockElement(plain("Why: what you checked, a ticket"), contract.SlackReasonAction)
	input.Multiline = true
	input.MaxLength = maxReason
	what := fmt.Sprintf("You are about to *%s* run `%s` as *%s*. The reason is recorded in the run's history and the audit log.",
		verb(m.Approve), m.Workflow, identity)
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: contract.SlackDecisionCallback, PrivateMetadata: string(raw),
		Title: plain(title), Submit: plain(strings.ToUpper(verb(m.Approve)[:1]) + verb(m.Approve)[1:]), Close: plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, what, false, false), nil, nil),
			slack.NewInputBlock(contract.SlackReasonBlock, plain("Reason"), nil, input),
		}},
	}
}

// submit takes the modal: a missing reason keeps the modal open with the error;
// otherwise the modal closes and the decision is sent as the mapped identity.
func (h *Handler) submit(w http.ResponseWriter, cb slack.InteractionCallback) {
	if cb.View.CallbackID != contract.SlackDecisionCallback {
		w.WriteHeader(http.StatusOK)
		return
	}
	var m meta
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &m); err != nil || m.Workflow == "" {
		http.Error(w, "private_metadata: not a MATIH decision form", http.StatusBadRequest)
		return
	}
	reason := strings.TrimSpace(cb.View.State.Values[contract.SlackReasonBlock][contract.SlackReasonAction].Value)
	if reason == "" || len(reason) > maxReason {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(slack.NewErrorsViewSubmissionResponse(map[string]string{
			contract.SlackReasonBlock: fmt.Sprintf("A reason of 1 to %d characters is required.", maxReason)}))
		return
	}
	user, refusal := h.opts.Users.May(cb.User.ID)
	w.WriteHeader(http.StatusOK) // closes the modal
	action := "slack-" + verb(m.Approve)
	if refusal != "" {
		h.opts.Audit(Event{Identity: "slack " + cb.User.ID, Action: action, Workflow: m.Workflow, Reason: reason, Err: fmt.Errorf("refused: %s", refusal)})
		h.later(func(ctx context.Context) { h.tell(ctx, m.ResponseURL, refusal) })
		return
	}
	approver := contract.SlackApprover(user.Identity, cb.User.ID)
	h.later(func(ctx context.Context) {
		err := h.opts.Decide(ctx, approver, m.Workflow, "slack-"+cb.View.ID, contract.ApprovalSignal{Approved: m.Approve, Approver: approver, Reason: reason})
		h.opts.Audit(Event{Identity: approver, Action: action, Workflow: m.Workflow, Reason: reason, Err: err})
		if err != nil {
			h.tell(ctx, m.ResponseURL, h.refusal(ctx, m, err))
			return
		}
		h.outcome(ctx, m, approver, reason)
	})
}

// refusal says why a decision was not taken, naming the earlier decision when there
// was one: a run no longer waiting was decided by someone, or timed out.
func (h *Handler) refusal(ctx context.Context, m meta, err error) string {
	msg := fmt.Sprintf("Not %s: %v.", map[bool]string{true: "approved", false: "rejected"}[m.Approve], err)
	if h.opts.Decided == nil || strings.Contains(err.Error(), "already decided by") {
		return msg
	}
	if who, lerr := h.opts.Decided(ctx, m.Workflow); lerr == nil && who != "" {
		msg += " This run is no longer waiting: it was already decided by " + who + "."
	}
	return msg
}
