package api

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/matih/ops/shared/contract"
)

// ExecutionParams are the overrides an execute request may lay over a pipeline's
// definition file. Only these: everything else (source, checks, destination) is the
// operator's file, so a caller cannot point a run anywhere else.
type ExecutionParams struct {
	MinQualityScore *float64           `json:"min_quality_score,omitempty"`
	ApprovalTimeout *contract.Duration `json:"approval_timeout,omitempty"`
}

// apply lays the overrides over cfg. The quality bar may be raised, and lowered only
// with the override-quality scope: a lower one lets a caller switch off the human
// gate the definition asks for.
func (p ExecutionParams) apply(cfg contract.PipelineConfig, mayLower bool) (contract.PipelineConfig, error) {
	if p.MinQualityScore != nil {
		if *p.MinQualityScore < cfg.MinQualityScore && !mayLower {
			return cfg, badRequest("min_quality_score", fmt.Sprintf("min_quality_score: may raise the definition's %.2f, never lower it without the override-quality scope, got %.2f", cfg.MinQualityScore, *p.MinQualityScore))
		}
		cfg.MinQualityScore = *p.MinQualityScore
	}
	if p.ApprovalTimeout != nil {
		cfg.ApprovalTimeout = *p.ApprovalTimeout
	}
	return cfg, nil
}

// DecodeExecutionParams reads an execute body; an empty body means no override.
func DecodeExecutionParams(body []byte) (ExecutionParams, error) {
	var p ExecutionParams
	if len(strings.TrimSpace(string(body))) == 0 {
		return p, nil
	}
	if err := DecodeStrict(body, "", &p); err != nil {
		return p, err
	}
	if p.ApprovalTimeout != nil && *p.ApprovalTimeout <= 0 {
		return p, badRequest("approval_timeout", "approval_timeout: expected a positive duration such as \"2h\"")
	}
	return p, nil
}

// SignalRequest is the body of POST .../signal: {"name": "approval"|"cancel", "data": {...}}.
type SignalRequest struct {
	Name string          `json:"name"`
	Data json.RawMessage `json:"data"`
}

// cancelData is the `cancel` payload; requested_by is replaced like approver.
type cancelData struct {
	RequestedBy string `json:"requested_by"`
	Reason      string `json:"reason"`
}

// Signal is a decoded, validated signal: exactly one of Approval and Cancel is set,
// with the caller's identity as approver or requested_by.
type Signal struct {
	Name     string
	Approval *contract.ApprovalSignal
	Cancel   *contract.CancelSignal
}

// DecodeSignal reads and validates a signal body for the caller identity.
func DecodeSignal(body []byte, identity string) (Signal, error) {
	var req SignalRequest
	if err := DecodeStrict(body, "", &req); err != nil {
		return Signal{}, err
	}
	switch req.Name {
	case contract.SignalApproval:
		var d contract.ApprovalInput // an approver in the body is replaced by the caller's identity
		if err := DecodeStrict(req.Data, "data.", &d); err != nil {
			return Signal{}, err
		}
		if d.Approved == nil {
			return Signal{}, badRequest("data.approved", "data.approved: required, true to approve or false to reject")
		}
		if strings.TrimSpace(d.Reason) == "" {
			return Signal{}, badRequest("data.reason", "data.reason: required: say why (it is recorded in the workflow and the audit log)")
		}
		return Signal{Name: req.Name, Approval: &contract.ApprovalSignal{Approved: *d.Approved, Approver: identity, Reason: d.Reason}}, nil
	case contract.SignalCancel:
		var d cancelData
		if err := DecodeStrict(req.Data, "data.", &d); err != nil {
			return Signal{}, err
		}
		if strings.TrimSpace(d.Reason) == "" {
			return Signal{}, badRequest("data.reason", "data.reason: required: say why")
		}
		return Signal{Name: req.Name, Cancel: &contract.CancelSignal{RequestedBy: identity, Reason: d.Reason}}, nil
	}
	return Signal{}, badRequest("name", `name: expected "approval" or "cancel", got `+quote(req.Name, 64))
}

// DecodeBackfill reads a backfill body in the contract's shape and validates it with
// the contract's own checks; Carry belongs to the workflow and is refused.
func DecodeBackfill(body []byte) (contract.BackfillConfig, error) {
	var c contract.BackfillConfig
	if err := DecodeStrict(body, "", &c); err != nil {
		return c, err
	}
	if c.Carry != nil {
		return c, badRequest("carry", "carry: set by the workflow when it continues as new; leave it out")
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, c.Source.RequireConnection("source")
}

// DecodeMigration reads a migration body in the contract's shape and validates it.
func DecodeMigration(body []byte) (contract.MigrationConfig, error) {
	var c contract.MigrationConfig
	if err := DecodeStrict(body, "", &c); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, c.RequireConnection()
}
