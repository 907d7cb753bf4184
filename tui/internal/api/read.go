package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/inbox"
)

// workflowIDRe accepts the ids the contract builds and what Temporal allows in
// practice, and refuses control characters.
var workflowIDRe = regexp.MustCompile(`^[\x21-\x7e]{1,1000}$`)

// pipelineIDRe is the contract's shape of a pipeline_id.
var pipelineIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// List page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// MaxApprovals bounds GET /v1/approvals: more runs than this waiting for a human
// is an incident of its own, and each costs one status document.
const MaxApprovals = 500

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ Caller) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is ready when Temporal answers: a load balancer then sends traffic only
// to a server that can act.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ Caller) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.opts.Backend.Ready(ctx); err != nil {
		writeError(w, r, Mark(ErrUnavailable, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func workflowID(r *http.Request) (string, error) {
	id := r.PathValue("workflowId")
	if !workflowIDRe.MatchString(id) {
		return "", badRequest("workflowId", "workflowId: expected 1-1000 printable ASCII characters")
	}
	return id, nil
}

// status answers the status document, byte for byte what `matih status -o json`
// prints for the same run.
func (s *Server) status(w http.ResponseWriter, r *http.Request, _ Caller) {
	id, err := workflowID(r)
	if err == nil {
		err = onlyParams(r, "runId")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	doc, err := s.opts.Backend.Status(ctx, id, r.URL.Query().Get("runId"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

// onlyParams refuses query parameters the route does not take, naming the first.
func onlyParams(r *http.Request, known ...string) error {
	names := make([]string, 0, len(r.URL.Query()))
	for k := range r.URL.Query() {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ok := false
		for _, kn := range known {
			ok = ok || k == kn
		}
		if !ok {
			return badRequest(k, k+": unknown query parameter")
		}
	}
	return nil
}

type listAnswer struct {
	Workflows     []Row  `json:"workflows"`
	NextPageToken string `json:"nextPageToken,omitempty"`
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, _ Caller) {
	f, size, token, err := listParams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	page, err := s.opts.Backend.List(ctx, f, size, token)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := listAnswer{Workflows: page.Rows}
	if out.Workflows == nil {
		out.Workflows = []Row{}
	}
	if len(page.NextToken) > 0 {
		out.NextPageToken = base64.RawURLEncoding.EncodeToString(page.NextToken)
	}
	writeJSON(w, http.StatusOK, out)
}

var workflowTypes = map[string]bool{contract.DataPipelineWorkflow: true, contract.DataBackfillWorkflow: true,
	contract.SchemaMigrationWorkflow: true, contract.TableMaintenanceWorkflow: true}

// listParams reads ?status=&type=&pipeline_id=&pageSize=&pageToken=; the status
// value is checked by the backend, which knows the console's tabs.
func listParams(r *http.Request) (Filter, int, []byte, error) {
	if err := onlyParams(r, "status", "type", "pipeline_id", "pageSize", "pageToken"); err != nil {
		return Filter{}, 0, nil, err
	}
	q := r.URL.Query()
	f := Filter{Status: q.Get("status"), Type: q.Get("type"), PipelineID: q.Get("pipeline_id")}
	if f.Type != "" && !workflowTypes[f.Type] {
		return f, 0, nil, badRequest("type", "type: expected DataPipelineWorkflow, DataBackfillWorkflow, SchemaMigrationWorkflow or TableMaintenanceWorkflow, got "+quote(f.Type, 64))
	}
	if f.PipelineID != "" && !pipelineIDRe.MatchString(f.PipelineID) {
		return f, 0, nil, badRequest("pipeline_id", "pipeline_id: expected 1-128 letters, digits, '.', '_' or '-'")
	}
	size := DefaultPageSize
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return f, 0, nil, badRequest("pageSize", "pageSize: expected a number from 1 to "+strconv.Itoa(MaxPageSize))
		}
		size = n
	}
	token, err := base64.RawURLEncoding.DecodeString(q.Get("pageToken"))
	if err != nil {
		return f, 0, nil, badRequest("pageToken", "pageToken: expected the nextPageToken of the previous page")
	}
	return f, size, token, nil
}

// Awaiting is one run waiting for a human decision.
type Awaiting struct {
	WorkflowID string    `json:"workflowId"`
	RunID      string    `json:"runId"`
	Type       string    `json:"type"`
	StartedAt  time.Time `json:"startedAt"`
	// Deadline and MinScore are absent when the workflow did not answer its status
	// query (no worker polls, or the server is failing over): the run waits, its
	// gate is unknown.
	Deadline     *time.Time `json:"deadline,omitempty"`
	MinScore     *float64   `json:"minScore,omitempty"`
	QualityScore *float64   `json:"qualityScore,omitempty"`
}

type approvalsAnswer struct {
	Approvals []Awaiting `json:"approvals"`
	Truncated bool       `json:"truncated,omitempty"`
}

// approvals lists the runs awaiting approval, as the console's inbox does
// (inbox.Build), soonest deadline first.
func (s *Server) approvals(w http.ResponseWriter, r *http.Request, _ Caller) {
	if err := onlyParams(r); err != nil {
		writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	runs, truncated, err := inbox.Build(ctx, backendInbox{s.opts.Backend}, MaxApprovals)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]Awaiting, len(runs))
	for i, w := range runs {
		out[i] = Awaiting{WorkflowID: w.WorkflowID, RunID: w.RunID, Type: w.Type, StartedAt: w.StartedAt, QualityScore: w.QualityScore}
		if w.GateKnown() {
			out[i].Deadline, out[i].MinScore = &w.Deadline, &w.MinScore
		}
	}
	writeJSON(w, http.StatusOK, approvalsAnswer{Approvals: out, Truncated: truncated})
}

// backendInbox reads the inbox through the API's backend.
type backendInbox struct{ b Backend }

func (s backendInbox) Awaiting(ctx context.Context, size int, token []byte) ([]inbox.Candidate, []byte, error) {
	page, err := s.b.List(ctx, Filter{Status: "awaiting"}, size, token)
	if err != nil {
		return nil, nil, err
	}
	out := make([]inbox.Candidate, len(page.Rows))
	for i, r := range page.Rows {
		out[i] = r.Candidate()
	}
	return out, page.NextToken, nil
}

func (s backendInbox) Status(ctx context.Context, workflowID, runID string) (status.Document, error) {
	return s.b.Status(ctx, workflowID, runID)
}

func (s backendInbox) Gone(err error) bool { return errors.Is(err, ErrNotFound) }
