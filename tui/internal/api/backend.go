// Package api is the Pipeline Service HTTP API that `matih serve` hosts: start
// pipelines, backfills and migrations, send the approval and cancel decisions, read
// the status document and list runs, with bearer tokens and roles. It speaks the
// names on the wire of shared/contract and renders shared/status, so the pipeline
// service, dashboards and scripts see what the console sees.
//
// The package knows HTTP, tokens and the contract; it reaches Temporal only through
// Backend, so the console's own data source (and its error classification) does the
// talking, and handler tests run against an in-memory backend.
package api

import (
	"context"
	"errors"
	"time"

	"github.com/matih/ops/tui/internal/inbox"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// Backend is what the API asks of Temporal. Every method acts as identity (the
// caller's token name), which Temporal records on the request.
type Backend interface {
	// Start starts a workflow and returns its run id; a workflow id that exists
	// already is ErrConflict.
	Start(ctx context.Context, identity string, req StartRequest) (runID string, err error)
	// Approve sends the decision through the `approval` update, so a refusal by the
	// workflow's validator comes back as ErrConflict.
	Approve(ctx context.Context, identity, workflowID string, d contract.ApprovalSignal) error
	// Cancel sends the `cancel` signal and asks Temporal to cancel the run.
	Cancel(ctx context.Context, identity, workflowID string, s contract.CancelSignal) error
	// Status builds the status document, the same one `matih status -o json` prints.
	Status(ctx context.Context, workflowID, runID string) (status.Document, error)
	// List reads one page of visibility; a filter value it cannot take is a
	// *contract.ValidationError naming the query parameter.
	List(ctx context.Context, f Filter, pageSize int, token []byte) (Page, error)
	// Ready reports whether Temporal answers now.
	Ready(ctx context.Context) error
}

// StartRequest starts one workflow of a known type with a validated input.
type StartRequest struct {
	WorkflowID   string
	WorkflowType string
	TaskQueue    string
	Input        any
}

// Filter narrows a list: Status is a console tab name (running, awaiting, failed,
// completed, all), Type a workflow type, PipelineID the PipelineId search attribute.
type Filter struct {
	Status     string
	Type       string
	PipelineID string
}

// Row is one run in a list, read from visibility only; the same fields as
// `matih ls -o json`.
type Row struct {
	WorkflowID   string     `json:"workflowId"`
	RunID        string     `json:"runId"`
	Type         string     `json:"type"`
	Status       string     `json:"status"`
	Phase        string     `json:"phase,omitempty"`
	Progress     *float64   `json:"progress,omitempty"`
	QualityScore *float64   `json:"qualityScore,omitempty"`
	StartedAt    time.Time  `json:"startedAt"`
	ClosedAt     *time.Time `json:"closedAt,omitempty"`
	TaskQueue    string     `json:"taskQueue,omitempty"`
}

// Candidate is the row as the approvals inbox reads it.
func (r Row) Candidate() inbox.Candidate {
	return inbox.Candidate{WorkflowID: r.WorkflowID, RunID: r.RunID, Type: r.Type, StartedAt: r.StartedAt, QualityScore: r.QualityScore}
}

// Page is one page of a list and the token of the next one (nil at the end).
type Page struct {
	Rows      []Row
	NextToken []byte
}

// Pipelines looks up a pipeline definition by its pipeline_id. Source names where it
// came from (a file), for the audit log.
type Pipelines interface {
	Lookup(pipelineID string) (cfg contract.PipelineConfig, source string, ok bool)
}

// AuditEntry is one mutating request, as the console writes its actions.
type AuditEntry struct {
	Identity string
	Action   string
	Workflow string
	Reason   string
	// Err is nil when the request succeeded.
	Err error
	// Sending marks the line written before the request is acted on: a request
	// whose line cannot be written is refused, so everything acted on has a line.
	Sending bool
}

// Auditor writes audit entries; an error is logged, and the request still answers.
type Auditor interface {
	Audit(e AuditEntry) error
}

// Errors a Backend marks its failures with (see Mark), so the API answers the right
// status code while keeping the backend's own message.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("temporal unavailable")
	ErrInvalid     = errors.New("invalid request")
)

// Mark wraps err so that errors.Is(result, kind) holds and its message stays err's.
func Mark(kind, err error) error {
	if err == nil {
		return nil
	}
	return &marked{kind: kind, err: err}
}

type marked struct{ kind, err error }

func (m *marked) Error() string   { return m.err.Error() }
func (m *marked) Unwrap() []error { return []error{m.kind, m.err} }
