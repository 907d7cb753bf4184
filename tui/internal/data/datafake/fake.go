// Package datafake is an in-memory data.Source for the console's tests: rows,
// documents and failures as given, every call recorded.
package datafake

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/matih/ops/tui/internal/data"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// Fake is an in-memory data.Source for view tests. It pages rows by token, answers counts
// by a simple status match, and refuses a decision on a run that is not awaiting
// approval the way the pipeline's update validator does. Down makes every call fail as
// an unreachable server would.
type Fake struct {
	mu    sync.Mutex
	Rows  []data.Row
	Docs  map[string]status.Document
	Down  bool
	Calls []string
	// BadQuery, when set, is refused as a malformed visibility query.
	BadQuery string
	// QueueList, when set, is what Queues answers; otherwise every queue has a poller.
	QueueList []data.Queue
	// MaxPage, when set, caps a page as a server's maximum page size does.
	MaxPage int
	// Failed is what Failures answers (those closed since the time asked).
	Failed []data.Failure
	// Err, when set, is what every call fails with (an expired key, a denial...).
	Err error
	// DeploymentList is what Deployments answers.
	DeploymentList []data.Deployment
	// BackfillInputs are the inputs BackfillInput answers, by workflow id.
	BackfillInputs map[string]contract.BackfillConfig
	// Started are the start requests, in order.
	Started []data.StartRequest
}

var _ data.Source = (*Fake)(nil)

func (f *Fake) call(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, fmt.Sprintf(format, args...))
	if f.Down {
		return fmt.Errorf("%w: connection refused", data.ErrUnreachable)
	}
	return f.Err
}

// CallsWith returns the recorded calls starting with prefix.
func (f *Fake) CallsWith(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.Calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// SetErr makes every call fail with err, or succeed again with nil.
func (f *Fake) SetErr(err error) {
	f.mu.Lock()
	f.Err = err
	f.mu.Unlock()
}

// SetDown switches the fake server off or on.
func (f *Fake) SetDown(down bool) {
	f.mu.Lock()
	f.Down = down
	f.mu.Unlock()
}

func (f *Fake) match(query string) []data.Row {
	var out []data.Row
	for _, r := range f.Rows {
		if fakeMatch(r, query) {
			out = append(out, r)
		}
	}
	return out
}

// fakeMatch understands the tab queries: running, awaiting approval, failed, completed.
func fakeMatch(r data.Row, q string) bool {
	if i := strings.Index(q, "RunId IN ("); i >= 0 {
		j := strings.Index(q[i:], ")")
		in := false
		for _, id := range strings.Split(q[i+len("RunId IN ("):i+j], ",") {
			in = in || strings.Trim(strings.TrimSpace(id), "'") == r.RunID
		}
		if !in {
			return false
		}
		q = q[:i] + q[i+j+1:]
	}
	switch {
	case strings.Contains(q, "AWAITING_APPROVAL"):
		return r.Status == status.WorkflowRunning && r.Phase == contract.PhaseAwaitingApproval
	case strings.Contains(q, "'Running'"):
		return r.Status == status.WorkflowRunning
	case strings.Contains(q, "'Failed'"):
		return r.Status == status.WorkflowFailed || r.Status == status.WorkflowTerminated || r.Status == status.WorkflowCanceled
	case strings.Contains(q, "'Completed'"):
		return r.Status == status.WorkflowCompleted
	}
	return true
}

// List pages the matching rows; the token is the next offset.
func (f *Fake) List(_ context.Context, query string, pageSize int, token []byte) (data.Page, error) {
	if err := f.call("list %q %s", query, token); err != nil {
		return data.Page{}, err
	}
	if f.BadQuery != "" && strings.Contains(query, f.BadQuery) {
		return data.Page{}, fmt.Errorf("%w: invalid query: unknown field %q", data.ErrInvalidQuery, f.BadQuery)
	}
	rows := f.match(query)
	start := 0
	if token != nil {
		fmt.Sscan(string(token), &start)
	}
	if f.MaxPage > 0 {
		pageSize = min(pageSize, f.MaxPage)
	}
	end := min(len(rows), start+pageSize)
	p := data.Page{Rows: append([]data.Row(nil), rows[start:end]...)}
	if end < len(rows) {
		p.NextToken = []byte(fmt.Sprint(end))
	}
	return p, nil
}

// Count counts matching rows.
func (f *Fake) Count(_ context.Context, query string) (int64, error) {
	if err := f.call("count %q", query); err != nil {
		return 0, err
	}
	return int64(len(f.match(query))), nil
}

// Status returns the stored document.
func (f *Fake) Status(_ context.Context, id, _ string) (status.Document, error) {
	if err := f.call("status %s", id); err != nil {
		return status.Document{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.Docs[id]
	if !ok {
		return d, fmt.Errorf("%w: workflow %s", data.ErrNotFound, id)
	}
	return d, nil
}

// WaitChange returns at once when the context ends; the fake never changes by itself.
func (f *Fake) WaitChange(ctx context.Context, id, _ string, _ int) error {
	if err := f.call("wait %s", id); err != nil {
		return err
	}
	<-ctx.Done()
	return ctx.Err()
}

// Approve applies the decision when the run awaits approval, else refuses like the validator.
func (f *Fake) Approve(_ context.Context, id string, d contract.ApprovalSignal) error {
	if err := f.call("approve %s approved=%v approver=%s reason=%s", id, d.Approved, d.Approver, d.Reason); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	doc, ok := f.Docs[id]
	if !ok || doc.Phase != contract.PhaseAwaitingApproval {
		return fmt.Errorf("%w: not awaiting approval", data.ErrRefused)
	}
	doc.Approval = &status.Approval{Decided: true, Approved: d.Approved, Approver: d.Approver, Reason: d.Reason}
	doc.Phase, doc.PendingSignals = contract.PhaseLoading, []string{}
	f.Docs[id] = doc
	return nil
}

// Cancel records the request.
func (f *Fake) Cancel(_ context.Context, id string, s contract.CancelSignal) error {
	return f.call("cancel %s by=%s reason=%s", id, s.RequestedBy, s.Reason)
}

// Pause records the request.
func (f *Fake) Pause(_ context.Context, id string, s contract.PauseSignal, resume bool) error {
	verb := "pause"
	if resume {
		verb = "resume"
	}
	return f.call("%s %s by=%s reason=%s", verb, id, s.RequestedBy, s.Reason)
}

// Terminate records the request.
func (f *Fake) Terminate(_ context.Context, id, reason string) error {
	return f.call("terminate %s reason=%s", id, reason)
}

// Start records the request.
func (f *Fake) Start(_ context.Context, req data.StartRequest) (string, error) {
	if err := f.call("start %s", req.WorkflowID); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Started = append(f.Started, req)
	return req.WorkflowID, nil
}

// BackfillInput answers from BackfillInputs.
func (f *Fake) BackfillInput(_ context.Context, id string) (contract.BackfillConfig, error) {
	if err := f.call("backfill input %s", id); err != nil {
		return contract.BackfillConfig{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cfg, ok := f.BackfillInputs[id]
	if !ok {
		return cfg, fmt.Errorf("%w: %s", data.ErrNotFound, id)
	}
	return cfg, nil
}

// Queues lists QueueList when set, else our queues, each polled; other queues named
// are polled by no one.
func (f *Fake) Queues(_ context.Context, also ...string) ([]data.Queue, error) {
	if f.QueueList != nil {
		return f.QueueList, f.call("queues")
	}
	var out []data.Queue
	for _, q := range data.QueueNames(also) {
		p := []data.Poller{{Identity: "fake@" + q}}
		if q != contract.PipelineQueue && q != contract.InfraQueue && q != contract.NotifyQueue {
			p = []data.Poller{}
		}
		out = append(out, data.Queue{Name: q, WorkflowPollers: p, ActivityPollers: p})
	}
	return out, f.call("queues")
}

// Deployments answers DeploymentList.
func (f *Fake) Deployments(context.Context) ([]data.Deployment, error) {
	return f.DeploymentList, f.call("deployments")
}

// Ping reports a fake server.
func (f *Fake) Ping(ctx context.Context) (data.ServerInfo, error) {
	q, err := f.Queues(ctx)
	return data.ServerInfo{Address: "fake:7233", Namespace: contract.DefaultNamespace, ServerVersion: "fake", Queues: q}, err
}

// Failures answers the failures closed since a time.
func (f *Fake) Failures(_ context.Context, since time.Time) ([]data.Failure, error) {
	if err := f.call("failures %s", since.UTC().Format(time.RFC3339)); err != nil {
		return nil, err
	}
	var out []data.Failure
	for _, x := range f.Failed {
		if !x.ClosedAt.Before(since) {
			out = append(out, x)
		}
	}
	return out, nil
}
