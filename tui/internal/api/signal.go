package api

import (
	"context"
	"net/http"

	"github.com/matih/ops/shared/contract"
)

type approvalAnswer struct {
	WorkflowID string `json:"workflowId"`
	Name       string `json:"name"`
	Approved   bool   `json:"approved"`
	Approver   string `json:"approver"`
}

type cancelAnswer struct {
	WorkflowID  string `json:"workflowId"`
	Name        string `json:"name"`
	RequestedBy string `json:"requestedBy"`
	Status      string `json:"status"`
}

// signal sends `approval` (through the update, so the workflow's refusal is the
// answer: 409) or `cancel`, as the caller: the approver or requested_by is the
// token's name whatever the body says.
func (s *Server) signal(w http.ResponseWriter, r *http.Request, c Caller) {
	rec := recordOf(r)
	id, err := workflowID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rec.workflow = id
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	sig, err := DecodeSignal(body, c.Name)
	if err == nil {
		err = mayAct(c, id, sig.Name)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	switch sig.Name {
	case contract.SignalApproval:
		rec.action, rec.reason = "reject", sig.Approval.Reason
		if sig.Approval.Approved {
			rec.action = "approve"
		}
		if err := s.opts.Backend.Approve(ctx, c.Name, id, *sig.Approval); err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, approvalAnswer{WorkflowID: id, Name: sig.Name, Approved: sig.Approval.Approved, Approver: c.Name})
	case contract.SignalCancel:
		rec.action, rec.reason = "cancel", sig.Cancel.Reason
		if err := s.opts.Backend.Cancel(ctx, c.Name, id, *sig.Cancel); err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, cancelAnswer{WorkflowID: id, Name: sig.Name, RequestedBy: c.Name, Status: "CANCEL_REQUESTED"})
	}
}

// mayAct checks the scope a signal needs, and refuses cancelling a notification
// delivery: a cancelled delivery silences the page it carries.
func mayAct(c Caller, id, signal string) error {
	need := ScopeApprove
	if signal == contract.SignalCancel {
		need = ScopeCancel
		if contract.IsDeliveryWorkflowID(id) {
			return fail(http.StatusForbidden, CodeForbidden, "notification deliveries are not cancelled through the API: cancel the run that sent it")
		}
	}
	if !c.Has(need) {
		return fail(http.StatusForbidden, CodeForbidden, "token "+c.Name+" has scopes "+c.scopeList()+"; a "+signal+" signal needs "+string(need))
	}
	return nil
}
