// Package data is the console's one door to Temporal. Views and subcommands use the
// Source interface; Temporal implements it over client.Client and Fake implements it in
// memory for tests.
package data

import (
	"context"
	"errors"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/api"
)

// Row is one workflow in a list, read from visibility only (no query per row). It
// is the API's row, so `matih ls -o json` and GET /v1/pipelines/workflows agree.
type Row = api.Row

// Page is one page of a list with the token for the next one (nil at the end).
type Page = api.Page

// Poller is a worker seen polling a queue.
type Poller struct {
	Identity       string    `json:"identity"`
	LastAccessTime time.Time `json:"lastAccessTime"`
	// Deployment and BuildID are the Worker Deployment version the worker polls as
	// (empty for an unversioned worker).
	Deployment string `json:"deployment,omitempty"`
	BuildID    string `json:"buildId,omitempty"`
}

// Queue is the pollers of one task queue, for workflow and activity tasks.
type Queue struct {
	Name            string   `json:"name"`
	WorkflowPollers []Poller `json:"workflowPollers"`
	ActivityPollers []Poller `json:"activityPollers"`
	// WorkflowBacklog and ActivityBacklog are the server's task statistics, when
	// it reports them.
	WorkflowBacklog *Backlog `json:"workflowBacklog,omitempty"`
	ActivityBacklog *Backlog `json:"activityBacklog,omitempty"`
	// Running is how many running workflows are on the queue (-1: not counted).
	Running int64 `json:"running"`
}

// Backlog is a task queue type's statistics: tasks waiting, the oldest one's age,
// and the rates tasks are added and dispatched at (per second).
type Backlog struct {
	Count        int64         `json:"count"`
	Age          time.Duration `json:"ageNanos"`
	AddRate      float32       `json:"addRate"`
	DispatchRate float32       `json:"dispatchRate"`
}

// ServerInfo is what `matih ping` prints.
type ServerInfo struct {
	Address       string  `json:"address"`
	Namespace     string  `json:"namespace"`
	ServerVersion string  `json:"serverVersion"`
	ClusterName   string  `json:"clusterName,omitempty"`
	Queues        []Queue `json:"queues"`
}

// Source is everything the console and the subcommands ask of Temporal.
type Source interface {
	List(ctx context.Context, query string, pageSize int, token []byte) (Page, error)
	Count(ctx context.Context, query string) (int64, error)
	Status(ctx context.Context, workflowID, runID string) (status.Document, error)
	// WaitChange returns when the run's history grows past historyLength, the run
	// closes, or ctx ends (long poll).
	WaitChange(ctx context.Context, workflowID, runID string, historyLength int) error
	Approve(ctx context.Context, workflowID string, decision contract.ApprovalSignal) error
	Cancel(ctx context.Context, workflowID string, sig contract.CancelSignal) error
	Terminate(ctx context.Context, workflowID, reason string) error
	// Pause sends the backfill's `pause` signal, or `resume` with resume set.
	Pause(ctx context.Context, workflowID string, sig contract.PauseSignal, resume bool) error
	Start(ctx context.Context, req StartRequest) (workflowID string, err error)
	// BackfillInput is a backfill's input as its latest run was started with.
	BackfillInput(ctx context.Context, workflowID string) (contract.BackfillConfig, error)
	// Failures reads the runs closed in failure since a time, newest first.
	Failures(ctx context.Context, since time.Time) ([]Failure, error)
	// Queues describes our three task queues and any others named, with their pollers.
	Queues(ctx context.Context, also ...string) ([]Queue, error)
	Ping(ctx context.Context) (ServerInfo, error)
	// Deployments describes the namespace's worker deployments: routing, versions,
	// drainage and the open runs pinned to each version.
	Deployments(ctx context.Context) ([]Deployment, error)
}

// StartRequest starts one workflow of a known type with a validated input (built
// by api.PipelineStart and its siblings, for the console and the API alike).
type StartRequest = api.StartRequest

// Errors the console and the exit codes tell apart.
var (
	// ErrNotFound: no such workflow.
	ErrNotFound = errors.New("not found")
	// ErrRefused: the workflow (update validator) or the console (read-only) said no.
	ErrRefused = errors.New("refused")
	// ErrUnreachable: the server did not answer.
	ErrUnreachable = errors.New("unreachable")
	// ErrUnauthenticated: the server refused the credentials (an expired API key).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrPermission: the credentials are valid but may not do this.
	ErrPermission = errors.New("permission denied")
	// ErrNamespace: the namespace does not exist (deleted, or a typo in the profile).
	ErrNamespace = errors.New("namespace not found")
	// ErrRateLimited: the server asks us to slow down.
	ErrRateLimited = errors.New("rate limited")
	// ErrInvalidQuery: the server refused a visibility query or request as malformed.
	ErrInvalidQuery = errors.New("invalid request")
)

// Status tabs of the workflows view, with their visibility queries.
var Tabs = []Tab{
	{Name: "running", Query: "ExecutionStatus = 'Running'"},
	{Name: "awaiting approval", Query: "ExecutionStatus = 'Running' AND " + contract.SearchAttrPipelinePhase + " = '" + contract.PhaseAwaitingApproval + "'"},
	// A pipeline that was rejected, timed out waiting or cancelled completes with
	// phase CANCELLED: it belongs with the runs that did not do their job.
	{Name: "failed/cancelled", Query: "(ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated', 'Canceled') OR (ExecutionStatus = 'Completed' AND " +
		contract.SearchAttrPipelinePhase + " IN ('" + contract.PhaseCancelled + "', '" + contract.PhaseFailed + "')))"},
	{Name: "completed", Query: "ExecutionStatus = 'Completed' AND (" + contract.SearchAttrPipelinePhase + " IS NULL OR " +
		contract.SearchAttrPipelinePhase + " NOT IN ('" + contract.PhaseCancelled + "', '" + contract.PhaseFailed + "'))"},
	{Name: "all", Query: ""},
}

// Tab is one status tab.
type Tab struct {
	Name  string
	Query string
}

// StatusQuery turns a --status value (running, awaiting, failed, completed, all, or a
// Temporal status name) into a visibility query.
func StatusQuery(s string) (string, bool) {
	switch s {
	case "", "all":
		return "", true
	case "running":
		return Tabs[0].Query, true
	case "awaiting", "awaiting-approval", "awaiting_approval":
		return Tabs[1].Query, true
	case "failed", "cancelled", "failed/cancelled":
		return Tabs[2].Query, true
	case "completed":
		return Tabs[3].Query, true
	}
	return "", false
}

// And joins two visibility queries.
func And(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return "(" + a + ") AND (" + b + ")"
}

// PollerGone is how long after its last poll a worker counts as gone: an idle worker
// long-polls about every minute, and the server keeps listing a dead one for minutes.
const PollerGone = 3 * time.Minute

// IdleQueues names the queues no live worker polls: nothing on them will move.
func IdleQueues(qs []Queue, now time.Time) []string {
	var idle []string
	for _, q := range qs {
		if !anyLive(q.WorkflowPollers, now) && !anyLive(q.ActivityPollers, now) {
			idle = append(idle, q.Name)
		}
	}
	return idle
}

func anyLive(ps []Poller, now time.Time) bool {
	for _, p := range ps {
		if p.LastAccessTime.IsZero() || now.Sub(p.LastAccessTime) < PollerGone {
			return true
		}
	}
	return false
}

// RunningQueues names the task queues the newest running workflows (up to 1,000) are
// on, so that a queue nobody polls can be called out whichever it is.
func RunningQueues(ctx context.Context, src Source) ([]string, error) {
	p, err := src.List(ctx, Tabs[0].Query, 1000, nil)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range p.Rows {
		if r.TaskQueue != "" && !seen[r.TaskQueue] {
			seen[r.TaskQueue] = true
			out = append(out, r.TaskQueue)
		}
	}
	return out, nil
}

// IsInvalidQuery tells a refused visibility query from a failing server.
func IsInvalidQuery(err error) bool { return errors.Is(err, ErrInvalidQuery) }

// QueueNames is our three queues, then the others named, each once.
func QueueNames(also []string) []string {
	out := []string{contract.PipelineQueue, contract.InfraQueue, contract.NotifyQueue}
	seen := map[string]bool{}
	for _, q := range out {
		seen[q] = true
	}
	for _, q := range also {
		if q != "" && !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	return out
}
