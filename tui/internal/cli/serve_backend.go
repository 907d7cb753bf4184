package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/data"
)

// redialAfter is how long after a failed dial the API answers 503 at once instead
// of dialling again, so an outage does not make every request wait out a dial.
const redialAfter = 2 * time.Second

// apiBackend serves the Pipeline Service API through the console's own data source,
// so the API and `matih` classify errors, build status documents and query
// visibility the same way. It dials lazily and again after a failure: the server
// starts, and answers 503, while Temporal is down, and recovers by itself.
type apiBackend struct {
	dial func(context.Context) (*data.Temporal, error)

	src      atomic.Pointer[data.Temporal]
	mu       sync.Mutex // held while dialling
	lastErr  error
	lastFail time.Time
}

var _ api.Backend = (*apiBackend)(nil)

// source returns the connected source, dialling when there is none. One request
// dials at a time; the others get 503 meanwhile.
func (b *apiBackend) source() (*data.Temporal, error) {
	if src := b.src.Load(); src != nil {
		return src, nil
	}
	if !b.mu.TryLock() {
		return nil, api.Mark(api.ErrUnavailable, errors.New("connecting to Temporal"))
	}
	defer b.mu.Unlock()
	if src := b.src.Load(); src != nil {
		return src, nil
	}
	if b.lastErr != nil && time.Since(b.lastFail) < redialAfter {
		return nil, api.Mark(api.ErrUnavailable, b.lastErr)
	}
	// Not the request's context: a client that gave up must not abort the dial.
	src, err := b.dial(context.Background())
	if err != nil {
		b.lastErr, b.lastFail = err, time.Now()
		return nil, api.Mark(api.ErrUnavailable, err)
	}
	b.src.Store(src)
	b.lastErr = nil
	return src, nil
}

// as is the source acting as the caller: Temporal records the token's name on the
// cancel request and the console's code path stays the same.
func (b *apiBackend) as(identity string) (*data.Temporal, error) {
	src, err := b.source()
	if err != nil {
		return nil, err
	}
	cp := *src
	cp.Identity = identity
	return &cp, nil
}

// apiError marks the console's error classes with the API's.
func apiError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, data.ErrNotFound):
		return api.Mark(api.ErrNotFound, err)
	case errors.Is(err, data.ErrRefused):
		return api.Mark(api.ErrConflict, err)
	case errors.Is(err, data.ErrUnreachable):
		return api.Mark(api.ErrUnavailable, err)
	}
	return err
}

func (b *apiBackend) Start(ctx context.Context, identity string, req api.StartRequest) (string, error) {
	src, err := b.as(identity)
	if err != nil {
		return "", err
	}
	id, err := src.Start(ctx, req)
	if err != nil {
		return "", apiError(err)
	}
	// The conflict policy refuses a second run, so the latest run is the one started.
	// The run started whatever describe says: failing here would invite a retry that
	// starts it again, so an unknown run id is left empty instead.
	desc, err := src.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return "", nil
	}
	return desc.GetWorkflowExecutionInfo().GetExecution().GetRunId(), nil
}

func (b *apiBackend) Approve(ctx context.Context, identity, workflowID string, d contract.ApprovalSignal) error {
	src, err := b.as(identity)
	if err != nil {
		return err
	}
	return apiError(src.Approve(ctx, workflowID, d))
}

func (b *apiBackend) Cancel(ctx context.Context, identity, workflowID string, s contract.CancelSignal) error {
	src, err := b.as(identity)
	if err != nil {
		return err
	}
	return apiError(src.Cancel(ctx, workflowID, s))
}

func (b *apiBackend) Status(ctx context.Context, workflowID, runID string) (status.Document, error) {
	src, err := b.source()
	if err != nil {
		return status.Document{}, err
	}
	doc, err := src.Status(ctx, workflowID, runID)
	return doc, apiError(err)
}

// List builds the visibility query from the console's tabs (data.StatusQuery) and
// the search attributes of the contract; the values are checked by the API first.
func (b *apiBackend) List(ctx context.Context, f api.Filter, pageSize int, token []byte) (api.Page, error) {
	q, ok := data.StatusQuery(f.Status)
	if !ok {
		return api.Page{}, contract.Invalid("status", "one of running, awaiting, failed, completed, all, got %q", f.Status)
	}
	if f.Type != "" {
		q = data.And(q, fmt.Sprintf("WorkflowType = '%s'", f.Type))
	}
	if f.PipelineID != "" {
		q = data.And(q, fmt.Sprintf("%s = '%s'", contract.SearchAttrPipelineID, f.PipelineID))
	}
	src, err := b.source()
	if err != nil {
		return api.Page{}, err
	}
	page, err := src.List(ctx, q, pageSize, token)
	if err != nil {
		return api.Page{}, apiError(err)
	}
	return page, nil
}

// Ready dials if needed and checks the server answers now.
func (b *apiBackend) Ready(ctx context.Context) error {
	src, err := b.source()
	if err != nil {
		return err
	}
	if _, err := src.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return api.Mark(api.ErrUnavailable, fmt.Errorf("temporal at %s: %w", src.Address, err))
	}
	return nil
}

// apiAudit writes the API's mutating requests to the console's audit log, in the
// same lines and with the same action names as `matih approve`, `matih start`...
type apiAudit struct {
	log *audit.Log
}

func (a apiAudit) Audit(e api.AuditEntry) error {
	outcome := audit.Outcome(e.Err)
	if e.Sending {
		outcome = audit.Sending
	}
	return a.log.Append(audit.Entry{Identity: e.Identity, Action: e.Action, Workflow: e.Workflow, Reason: e.Reason, Outcome: outcome})
}
