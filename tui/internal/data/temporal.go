package data

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	taskqueuepb "go.temporal.io/api/taskqueue/v1"

	"github.com/matih/ops/shared/statusread"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc/codes"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/temporalclient"
)

// ActionTimeout bounds an action that needs a worker (the approval update): with no
// worker polling it would otherwise wait forever.
const ActionTimeout = 15 * time.Second

// Temporal is the Source over a real client.
type Temporal struct {
	Client    client.Client
	Namespace string
	Address   string
	Identity  string
	// QueryTimeout bounds the status query; see statusread.Options.
	QueryTimeout time.Duration
	// Folds, when set, keeps runs folded between Status and WaitChange calls, so a
	// run asked for again or followed costs its new events only.
	Folds *statusread.Cache
	// DataConverter reads history's payloads (the client's: it decrypts them when the
	// codec is on); nil reads plain JSON.
	DataConverter converter.DataConverter
}

var _ Source = (*Temporal)(nil)

// undivided is a notification delivery started before deliveries carried their
// namespace division (contract.DeliveryNamespaceDivision), which keeps the others
// out of every list without a filter.
func undivided(e *workflowpb.WorkflowExecutionInfo) bool {
	return e.GetType().GetName() == contract.NotificationDeliveryWorkflow
}

// List reads one page of visibility.
func (t *Temporal) List(ctx context.Context, query string, pageSize int, token []byte) (Page, error) {
	resp, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: t.Namespace, PageSize: int32(pageSize), NextPageToken: token, Query: query})
	if err != nil {
		return Page{}, Classify(err)
	}
	page := Page{NextToken: resp.GetNextPageToken(), Rows: make([]Row, 0, len(resp.GetExecutions()))}
	dc := converter.GetDefaultDataConverter() // search attributes are never encrypted
	for _, e := range resp.GetExecutions() {
		if undivided(e) {
			continue
		}
		r := Row{WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(),
			Type: e.GetType().GetName(), Status: status.StatusName(e.GetStatus()),
			StartedAt: e.GetStartTime().AsTime().UTC(), TaskQueue: e.GetTaskQueue()}
		if ct := e.GetCloseTime(); ct != nil && e.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			c := ct.AsTime().UTC()
			r.ClosedAt = &c
		}
		f := e.GetSearchAttributes().GetIndexedFields()
		if p, ok := f[contract.SearchAttrPipelinePhase]; ok {
			_ = dc.FromPayload(p, &r.Phase)
		}
		r.Progress = floatAttr(dc, f[contract.SearchAttrProgress])
		r.QualityScore = floatAttr(dc, f[contract.SearchAttrQualityScore])
		page.Rows = append(page.Rows, r)
	}
	if len(page.NextToken) == 0 {
		page.NextToken = nil
	}
	return page, nil
}

// Count counts executions matching a query.
func (t *Temporal) Count(ctx context.Context, query string) (int64, error) {
	resp, err := t.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: t.Namespace, Query: query})
	if err != nil {
		return 0, Classify(err)
	}
	return resp.GetCount(), nil
}

// Status builds the status document.
func (t *Temporal) Status(ctx context.Context, workflowID, runID string) (status.Document, error) {
	doc, err := statusread.BuildWith(ctx, t.Client, workflowID, runID,
		statusread.Options{QueryTimeout: t.QueryTimeout, Cache: t.Folds, Namespace: t.Namespace, DataConverter: t.DataConverter})
	return doc, Classify(err)
}

// WaitChange long-polls history until an event past historyLength arrives.
func (t *Temporal) WaitChange(ctx context.Context, workflowID, runID string, historyLength int) error {
	if t.Folds != nil && runID != "" {
		return Classify(t.Folds.WaitChange(ctx, t.Client, t.Namespace, workflowID, runID, int64(historyLength)))
	}
	it := t.Client.GetWorkflowHistory(ctx, workflowID, runID, true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for n := 0; it.HasNext(); n++ {
		ev, err := it.Next()
		if err != nil {
			return Classify(err)
		}
		if int(ev.GetEventId()) > historyLength {
			return nil
		}
	}
	return nil
}

type updateIDKey struct{}

// WithUpdateID makes the approval update sent with ctx carry id: Temporal takes
// updates with one id once per run, so a request delivered twice (a replayed
// Slack submission reaching a second matih serve) is one decision, and both
// senders get its outcome.
func WithUpdateID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, updateIDKey{}, id)
}

// Approve sends the decision through the `approval` update so a refusal comes back at once.
func (t *Temporal) Approve(ctx context.Context, workflowID string, d contract.ApprovalSignal) error {
	updateID, _ := ctx.Value(updateIDKey{}).(string)
	ctx, cancel := context.WithTimeout(ctx, ActionTimeout)
	defer cancel()
	h, err := t.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateID: updateID,
		UpdateName: contract.UpdateApproval, Args: []any{d}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if errors.Is(err, context.DeadlineExceeded) || isUpdateTimeout(err) {
		return fmt.Errorf("%w: no worker accepted the approval within %s; is the %s worker running?", ErrUnreachable, ActionTimeout, contract.PipelineQueue)
	}
	return Classify(err)
}

func isUpdateTimeout(err error) bool {
	var te *client.WorkflowUpdateServiceTimeoutOrCanceledError
	return errors.As(err, &te)
}

// Cancel records who asked and why with the `cancel` signal, then asks Temporal to
// cancel the run, so workflows that only honour one of the two still stop.
func (t *Temporal) Cancel(ctx context.Context, workflowID string, sig contract.CancelSignal) error {
	if err := t.Client.SignalWorkflow(ctx, workflowID, "", contract.SignalCancel, sig); err != nil {
		return Classify(err)
	}
	_, err := t.Client.WorkflowService().RequestCancelWorkflowExecution(ctx, &workflowservice.RequestCancelWorkflowExecutionRequest{
		Namespace: t.Namespace, WorkflowExecution: execution(workflowID), Identity: t.Identity, Reason: sig.Reason})
	return Classify(err)
}

// Terminate ends the run at once, recording the reason and our identity in history.
func (t *Temporal) Terminate(ctx context.Context, workflowID, reason string) error {
	_, err := t.Client.WorkflowService().TerminateWorkflowExecution(ctx, &workflowservice.TerminateWorkflowExecutionRequest{
		Namespace: t.Namespace, WorkflowExecution: execution(workflowID), Reason: reason, Identity: t.Identity})
	return Classify(err)
}

// Pause signals a backfill to pause (or resume): it finishes the partitions in
// flight and starts no new one until resumed.
func (t *Temporal) Pause(ctx context.Context, workflowID string, sig contract.PauseSignal, resume bool) error {
	name := contract.SignalPause
	if resume {
		name = contract.SignalResume
	}
	return Classify(t.Client.SignalWorkflow(ctx, workflowID, "", name, sig))
}

// BackfillInput reads the input of the backfill's latest run from its first history
// event (one event, decoded with the client's converter: the codec's keys decrypt it).
func (t *Temporal) BackfillInput(ctx context.Context, workflowID string) (contract.BackfillConfig, error) {
	var cfg contract.BackfillConfig
	it := t.Client.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return cfg, fmt.Errorf("%w: %s has no history", ErrNotFound, workflowID)
	}
	ev, err := it.Next()
	if err != nil {
		return cfg, Classify(err)
	}
	started := ev.GetWorkflowExecutionStartedEventAttributes()
	if started == nil || started.GetWorkflowType().GetName() != contract.DataBackfillWorkflow {
		return cfg, fmt.Errorf("%w: %s is not a %s", ErrRefused, workflowID, contract.DataBackfillWorkflow)
	}
	dc := t.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	if err := dc.FromPayloads(started.GetInput(), &cfg); err != nil {
		return cfg, fmt.Errorf("read the input of %s: %w", workflowID, err)
	}
	return cfg, nil
}

// Start starts a workflow; a second start with the same id is refused.
func (t *Temporal) Start(ctx context.Context, req StartRequest) (string, error) {
	run, err := t.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: req.WorkflowID, TaskQueue: req.TaskQueue,
		WorkflowExecutionTimeout: 24 * time.Hour, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, WorkflowExecutionErrorWhenAlreadyStarted: true},
		req.WorkflowType, req.Input)
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return "", fmt.Errorf("%w: workflow %s already exists", ErrRefused, req.WorkflowID)
		}
		return "", Classify(err)
	}
	return run.GetID(), nil
}

// Queues describes the MATIH queues and the others named: pollers, backlog
// statistics, and the running workflows on each.
func (t *Temporal) Queues(ctx context.Context, also ...string) ([]Queue, error) {
	var out []Queue
	for _, name := range QueueNames(also) {
		q := Queue{Name: name, WorkflowPollers: []Poller{}, ActivityPollers: []Poller{}}
		for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			resp, err := t.Client.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace: t.Namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: name, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
				TaskQueueType: typ, ReportStats: true})
			if err != nil {
				return nil, Classify(err)
			}
			var pollers []Poller
			for _, p := range resp.GetPollers() {
				pollers = append(pollers, Poller{Identity: p.GetIdentity(), LastAccessTime: p.GetLastAccessTime().AsTime().UTC(),
					Deployment: p.GetDeploymentOptions().GetDeploymentName(), BuildID: p.GetDeploymentOptions().GetBuildId()})
			}
			var backlog *Backlog
			if st := resp.GetStats(); st != nil {
				backlog = &Backlog{Count: st.GetApproximateBacklogCount(), Age: st.GetApproximateBacklogAge().AsDuration(),
					AddRate: st.GetTasksAddRate(), DispatchRate: st.GetTasksDispatchRate()}
			}
			if typ == enumspb.TASK_QUEUE_TYPE_WORKFLOW {
				q.WorkflowPollers, q.WorkflowBacklog = append(q.WorkflowPollers, pollers...), backlog
			} else {
				q.ActivityPollers, q.ActivityBacklog = append(q.ActivityPollers, pollers...), backlog
			}
		}
		running, err := t.runningOn(ctx, name)
		if err != nil {
			return nil, err
		}
		q.Running = running
		out = append(out, q)
	}
	return out, nil
}

// runningOn counts the running workflows on queue name, notification deliveries
// included: they live in a namespace division, which a count leaves out unless its
// query names it, and a queue of stuck deliveries must still turn red.
func (t *Temporal) runningOn(ctx context.Context, name string) (int64, error) {
	q := fmt.Sprintf("ExecutionStatus = 'Running' AND TaskQueue = '%s'", quoteValue(name))
	n, err := t.count(ctx, q)
	if err != nil {
		return 0, err
	}
	d, err := t.count(ctx, q+" AND TemporalNamespaceDivision = '"+contract.DeliveryNamespaceDivision+"'")
	return n + d, err
}

// Ping reads the server version and the queues' pollers.
func (t *Temporal) Ping(ctx context.Context) (ServerInfo, error) {
	info := ServerInfo{Address: t.Address, Namespace: t.Namespace}
	ci, err := t.Client.WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
	if err != nil {
		return info, Classify(err)
	}
	info.ServerVersion, info.ClusterName = ci.GetServerVersion(), ci.GetClusterName()
	info.Queues, err = t.Queues(ctx)
	return info, err
}

// Classify wraps Temporal errors in the sentinel the caller acts on (exit codes,
// banners), keeping the server's own short message.
func Classify(err error) error {
	if err == nil || isClassified(err) {
		return err
	}
	var (
		nf   *serviceerror.NotFound
		nsnf *serviceerror.NamespaceNotFound
		una  *serviceerror.Unavailable
		dl   *serviceerror.DeadlineExceeded
		inv  *serviceerror.InvalidArgument
		app  *temporal.ApplicationError
	)
	switch {
	case errors.As(err, &nsnf), errors.Is(err, temporalclient.ErrNamespaceNotFound):
		return fmt.Errorf("%w: %s", ErrNamespace, shortMessage(err))
	case errors.As(err, &nf) && (strings.Contains(nf.Error(), "already completed") || strings.Contains(nf.Error(), "closing workflow")):
		return fmt.Errorf("%w: workflow already closed", ErrRefused)
	case errors.As(err, &nf):
		return fmt.Errorf("%w: %s", ErrNotFound, nf.Error())
	case errors.Is(err, temporalclient.ErrUnreachable):
		return fmt.Errorf("%w: %s", ErrUnreachable, strings.TrimPrefix(err.Error(), temporalclient.ErrUnreachable.Error()+" "))
	case errors.As(err, &una), errors.As(err, &dl), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %s", ErrUnreachable, shortMessage(err))
	case errors.As(err, &app):
		return fmt.Errorf("%w: %s", ErrRefused, app.Message())
	case errors.As(err, &inv):
		return fmt.Errorf("%w: %s", ErrInvalidQuery, inv.Error())
	}
	switch serviceerror.ToStatus(err).Code() {
	case codes.Unauthenticated:
		return fmt.Errorf("%w: %s", ErrUnauthenticated, shortMessage(err))
	case codes.PermissionDenied:
		return fmt.Errorf("%w: %s", ErrPermission, shortMessage(err))
	case codes.ResourceExhausted:
		return fmt.Errorf("%w: %s", ErrRateLimited, shortMessage(err))
	}
	return err
}

// classes are the sentinels Classify wraps errors in.
var classes = []error{ErrNotFound, ErrRefused, ErrUnreachable, ErrUnauthenticated, ErrPermission,
	ErrNamespace, ErrRateLimited, ErrInvalidQuery}

func isClassified(err error) bool {
	for _, c := range classes {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

func shortMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "desc = "); i >= 0 {
		msg = msg[i+len("desc = "):]
	}
	return msg
}

func execution(workflowID string) *commonpb.WorkflowExecution {
	return &commonpb.WorkflowExecution{WorkflowId: workflowID}
}

func floatAttr(dc converter.DataConverter, p *commonpb.Payload) *float64 {
	if p == nil {
		return nil
	}
	var v float64
	if dc.FromPayload(p, &v) != nil {
		return nil
	}
	return &v
}
