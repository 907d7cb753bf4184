package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// fakeBackend is an in-memory Temporal: started workflows, their documents, and
// which of them await approval.
type fakeBackend struct {
	mu       sync.Mutex
	started  map[string]StartRequest
	docs     map[string]status.Document
	awaiting map[string]bool
	signals  []string
	down     bool
	starts   int
}

func newFake() *fakeBackend {
	return &fakeBackend{started: map[string]StartRequest{}, docs: map[string]status.Document{}, awaiting: map[string]bool{}}
}

var errDown = Mark(ErrUnavailable, errors.New("temporal server unreachable at 127.0.0.1:1"))

func (f *fakeBackend) Start(_ context.Context, identity string, req StartRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return "", errDown
	}
	if _, ok := f.started[req.WorkflowID]; ok {
		return "", Mark(ErrConflict, fmt.Errorf("refused: workflow %s already exists", req.WorkflowID))
	}
	f.starts++
	f.started[req.WorkflowID] = req
	f.docs[req.WorkflowID] = status.Document{WorkflowID: req.WorkflowID, RunID: "run-" + req.WorkflowID, Status: status.WorkflowRunning}
	return "run-" + req.WorkflowID, nil
}

func (f *fakeBackend) Approve(_ context.Context, identity, id string, d contract.ApprovalSignal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.down:
		return errDown
	case !f.known(id):
		return Mark(ErrNotFound, fmt.Errorf("not found: workflow %s", id))
	case !f.awaiting[id]:
		return Mark(ErrConflict, errors.New("refused: not awaiting approval (phase EXTRACTING)"))
	}
	f.awaiting[id] = false
	f.signals = append(f.signals, fmt.Sprintf("approval %s %v by %s as %s: %s", id, d.Approved, d.Approver, identity, d.Reason))
	return nil
}

func (f *fakeBackend) Cancel(_ context.Context, identity, id string, s contract.CancelSignal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known(id) {
		return Mark(ErrNotFound, fmt.Errorf("not found: workflow %s", id))
	}
	f.signals = append(f.signals, fmt.Sprintf("cancel %s by %s as %s: %s", id, s.RequestedBy, identity, s.Reason))
	return nil
}

func (f *fakeBackend) known(id string) bool { _, ok := f.docs[id]; return ok }

func (f *fakeBackend) Status(_ context.Context, id, _ string) (status.Document, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return status.Document{}, errDown
	}
	doc, ok := f.docs[id]
	if !ok {
		return doc, Mark(ErrNotFound, fmt.Errorf("not found: workflow %q", id))
	}
	return doc, nil
}

func (f *fakeBackend) List(_ context.Context, flt Filter, size int, token []byte) (Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return Page{}, errDown
	}
	if flt.Status != "" && flt.Status != "all" && flt.Status != "awaiting" && flt.Status != "running" {
		return Page{}, contract.Invalid("status", "running, awaiting, failed, completed or all, got %q", flt.Status)
	}
	var rows []Row
	for id, doc := range f.docs {
		if flt.Status == "awaiting" && !f.awaiting[id] {
			continue
		}
		rows = append(rows, Row{WorkflowID: id, RunID: doc.RunID, Type: contract.DataPipelineWorkflow, Status: doc.Status})
	}
	return Page{Rows: rows}, nil
}

func (f *fakeBackend) Ready(context.Context) error {
	if f.down {
		return errDown
	}
	return nil
}

// await makes a known workflow wait for approval until deadline.
func (f *fakeBackend) await(id string, deadline time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[id] = status.Document{WorkflowID: id, RunID: "run-" + id, Status: status.WorkflowRunning, Phase: contract.PhaseAwaitingApproval,
		Approval: &status.Approval{Deadline: deadline, MinScore: 0.9}}
	f.awaiting[id] = true
}

type fakePipelines map[string]contract.PipelineConfig

func (p fakePipelines) Lookup(id string) (contract.PipelineConfig, string, bool) {
	c, ok := p[id]
	return c, "pipelines/" + id + ".yaml", ok
}

type memAudit struct {
	mu      sync.Mutex
	entries []AuditEntry
}

func (a *memAudit) Audit(e AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return nil
}

func (a *memAudit) last() AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.entries[len(a.entries)-1]
}

// The tokens of the tests, by role.
const (
	operateToken = "op-secret-1"
	readToken    = "read-secret-1"
)

func testTokens(t *testing.T) *Tokens {
	ts, err := ParseTokens([]byte("tokens:\n  - {name: pipeline-service, role: operate, sha256: " + Digest(operateToken) +
		"}\n  - {name: dashboard, role: read, sha256: " + Digest(readToken) + "}\n"))
	require.NoError(t, err)
	return ts
}

var lowQuality = contract.PipelineConfig{PipelineID: "orders-low-quality", Source: contract.SourceConfig{Connection: "demo", Table: "orders"},
	MinQualityScore: 0.9, ApprovalTimeout: contract.Duration(4 * time.Hour), Destination: contract.DestinationConfig{Table: "demo.orders"}}

type harness struct {
	srv   *Server
	be    *fakeBackend
	audit *memAudit
	now   time.Time
}

func newHarness(t *testing.T, tokens *Tokens) *harness {
	h := &harness{be: newFake(), audit: &memAudit{}, now: time.Date(2026, 2, 12, 3, 4, 5, 600000000, time.UTC)}
	h.srv = New(Options{Backend: h.be, Tokens: tokens, Auditor: h.audit, Pipelines: fakePipelines{"orders-low-quality": lowQuality},
		Now: func() time.Time { return h.now }})
	return h
}

// do sends one request with an optional bearer token and extra headers.
func (h *harness) do(method, path, token, body string, headers ...string) *httptest.ResponseRecorder {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, r)
	return w
}
