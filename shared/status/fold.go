package status

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/matih/ops/shared/contract"
)

// Workflow statuses as the document spells them (Temporal's names, upper snake case).
const (
	WorkflowRunning        = "RUNNING"
	WorkflowCompleted      = "COMPLETED"
	WorkflowFailed         = "FAILED"
	WorkflowCanceled       = "CANCELED"
	WorkflowTerminated     = "TERMINATED"
	WorkflowContinuedAsNew = "CONTINUED_AS_NEW"
	WorkflowTimedOut       = "TIMED_OUT"
)

// StatusName maps Temporal's execution status to the document's spelling.
func StatusName(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return WorkflowRunning
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return WorkflowCompleted
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return WorkflowFailed
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return WorkflowCanceled
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return WorkflowTerminated
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return WorkflowContinuedAsNew
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return WorkflowTimedOut
	}
	return "UNKNOWN"
}

// folder accumulates the timeline while walking history in order.
type folder struct {
	dc        converter.DataConverter // payloads: JSON, decrypted when the codec is on
	doc       *Document
	bySched   map[int64]int  // scheduled event id -> index in doc.Activities
	byActID   map[string]int // activity id -> index
	started   map[int64]time.Time
	approvals []contract.ApprovalSignal
	// taskFailure is the last workflow task failure not followed by a success.
	taskFailure string
	// awaiting follows the PipelinePhase upserts: a decision counts only while the
	// run awaits approval, as in the workflow itself.
	awaiting bool
}

// Fold builds the document from a describe answer and the full history, without asking
// any worker. now is used for the duration of steps still running.
func Fold(desc *workflowservice.DescribeWorkflowExecutionResponse, events []*historypb.HistoryEvent, now time.Time) Document {
	f := NewFolder()
	f.add(events)
	return f.Document(desc, now)
}

func (f *folder) event(ev *historypb.HistoryEvent) {
	at := ev.GetEventTime().AsTime().UTC()
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		a := ev.GetWorkflowExecutionStartedEventAttributes()
		if f.doc.WorkflowType == "" {
			f.doc.WorkflowType = a.GetWorkflowType().GetName()
		}
		if f.doc.TaskQueue == "" {
			f.doc.TaskQueue = a.GetTaskQueue().GetName()
		}
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		a := ev.GetActivityTaskScheduledEventAttributes()
		f.doc.Activities = append(f.doc.Activities, Activity{Name: a.GetActivityType().GetName(), Status: ActivityScheduled})
		f.bySched[ev.GetEventId()] = len(f.doc.Activities) - 1
		f.byActID[a.GetActivityId()] = len(f.doc.Activities) - 1
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
		a := ev.GetActivityTaskStartedEventAttributes()
		if act := f.act(a.GetScheduledEventId()); act != nil {
			act.Status, act.StartedAt, act.Attempts = ActivityRunning, &at, a.GetAttempt()
			if a.GetLastFailure() != nil {
				act.LastFailure = failureText(a.GetLastFailure())
			}
		}
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		f.closeAct(ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId(), ActivityCompleted, at, nil)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		a := ev.GetActivityTaskFailedEventAttributes()
		f.closeAct(a.GetScheduledEventId(), ActivityFailed, at, a.GetFailure())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		a := ev.GetActivityTaskTimedOutEventAttributes()
		f.closeAct(a.GetScheduledEventId(), ActivityTimedOut, at, a.GetFailure())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		f.closeAct(ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId(), ActivityCancelled, at, nil)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		a := ev.GetWorkflowExecutionSignaledEventAttributes()
		if a.GetSignalName() == contract.SignalApproval {
			f.approval(a.GetInput(), at, false)
		}
	case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
		fields := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
		if p, ok := fields[contract.SearchAttrPipelinePhase]; ok {
			var phase string
			_ = converter.GetDefaultDataConverter().FromPayload(p, &phase) // search attributes are never encrypted
			f.awaiting = phase == contract.PhaseAwaitingApproval
		}
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
		a := ev.GetWorkflowTaskFailedEventAttributes()
		f.taskFailure = strings.TrimPrefix(a.GetCause().String(), "WORKFLOW_TASK_FAILED_CAUSE_") + ": " + failureText(a.GetFailure())
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
		f.taskFailure = ""
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		in := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput()
		if in.GetName() == contract.UpdateApproval {
			f.approval(in.GetArgs(), at, true)
		}
	default:
		f.closeEvent(ev)
	}
}

// stuck explains a workflow task that keeps failing. The server writes only the first
// failure of a series to history; describe tells how many attempts followed.
func (f *folder) stuck(desc *workflowservice.DescribeWorkflowExecutionResponse) {
	pwt := desc.GetPendingWorkflowTask()
	if pwt == nil || pwt.GetAttempt() < 2 || f.taskFailure == "" {
		return
	}
	f.doc.Stuck = fmt.Sprintf("workflow task failing, attempt %d: %s (is a worker on %s running a build that registers %s?)",
		pwt.GetAttempt(), f.taskFailure, f.doc.TaskQueue, f.doc.WorkflowType)
}

// closeEvent records the result or failure of a closed run.
func (f *folder) closeEvent(ev *historypb.HistoryEvent) {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		f.doc.Result = rawJSON(f.dc, ev.GetWorkflowExecutionCompletedEventAttributes().GetResult())
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		f.doc.Failure = failureText(ev.GetWorkflowExecutionFailedEventAttributes().GetFailure())
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		a := ev.GetWorkflowExecutionTerminatedEventAttributes()
		f.doc.Failure = "terminated: " + a.GetReason()
		if a.GetIdentity() != "" {
			f.doc.Failure += " (by " + a.GetIdentity() + ")"
		}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		f.doc.Failure = "cancelled"
		if r := rawJSON(f.dc, ev.GetWorkflowExecutionCanceledEventAttributes().GetDetails()); r != nil {
			f.doc.Result = r
		}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		f.doc.Failure = "timed out"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		f.doc.Failure = "continued as new run " + ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
	}
}

func (f *folder) act(schedID int64) *Activity {
	i, ok := f.bySched[schedID]
	if !ok {
		return nil
	}
	return &f.doc.Activities[i]
}

func (f *folder) closeAct(schedID int64, st string, at time.Time, fail *failurepb.Failure) {
	act := f.act(schedID)
	if act == nil {
		return
	}
	act.Status = st
	if act.StartedAt != nil {
		act.Duration = FormatDuration(at.Sub(*act.StartedAt))
	}
	if fail != nil {
		act.LastFailure = failureText(fail)
	}
}

// approval applies a decision from history. Updates passed the workflow's validator,
// so they count; signals count only while the run awaits approval.
func (f *folder) approval(p *commonpb.Payloads, at time.Time, validated bool) {
	var sig contract.ApprovalSignal
	if len(p.GetPayloads()) == 0 || f.dc.FromPayload(p.GetPayloads()[0], &sig) != nil {
		return
	}
	if f.doc.Approval == nil {
		f.doc.Approval = &Approval{}
	}
	if f.doc.Approval.Decided || (!validated && (!f.awaiting || strings.TrimSpace(sig.Approver) == "")) {
		f.doc.Approval.Ignored = append(f.doc.Approval.Ignored, sig)
		return
	}
	a := f.doc.Approval
	a.Decided, a.Approved, a.Approver, a.Reason, a.DecidedAt = true, sig.Approved, sig.Approver, sig.Reason, &at
}

// pending adds what describe knows and history does not yet: attempts, heartbeats and
// the last failure of activities being retried.
func (f *folder) pending(desc *workflowservice.DescribeWorkflowExecutionResponse, now time.Time) {
	for _, p := range desc.GetPendingActivities() {
		i, ok := f.byActID[p.GetActivityId()]
		if !ok {
			f.doc.Activities = append(f.doc.Activities, Activity{Name: p.GetActivityType().GetName()})
			i = len(f.doc.Activities) - 1
		}
		act := &f.doc.Activities[i]
		act.Attempts = p.GetAttempt()
		act.Status = ActivityScheduled
		if p.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED || p.GetState() == enumspb.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED {
			act.Status = ActivityRunning
		}
		if ts := p.GetLastStartedTime(); ts != nil {
			t := ts.AsTime().UTC()
			act.StartedAt = &t
			act.Duration = FormatDuration(now.Sub(t))
		}
		if p.GetLastFailure() != nil {
			act.LastFailure = failureText(p.GetLastFailure())
		}
		if hb := payloadsText(f.dc, p.GetHeartbeatDetails()); hb != "" {
			act.Heartbeat = hb
		}
	}
}

// searchAttributes reads phase, progress and quality the workflow upserted.
func (f *folder) searchAttributes(sa *commonpb.SearchAttributes) {
	dc := converter.GetDefaultDataConverter() // search attributes are never encrypted
	fields := sa.GetIndexedFields()
	if p, ok := fields[contract.SearchAttrPipelinePhase]; ok {
		_ = dc.FromPayload(p, &f.doc.Phase)
	}
	if p, ok := fields[contract.SearchAttrProgress]; ok {
		_ = dc.FromPayload(p, &f.doc.Progress)
	}
}

// finish derives the summary fields from the timeline.
func (f *folder) finish() {
	d := f.doc
	for _, a := range d.Activities {
		if a.Attempts > 1 {
			d.Retries += int(a.Attempts - 1)
		}
		if a.Status == ActivityRunning || a.Status == ActivityScheduled {
			d.CurrentActivity = a.Name
		}
	}
	if d.Status == WorkflowCompleted {
		d.Progress = 1
	}
	if d.Status == WorkflowRunning && d.Phase == contract.PhaseAwaitingApproval && (d.Approval == nil || !d.Approval.Decided) {
		d.PendingSignals = []string{contract.SignalApproval}
	}
}

// failureText flattens a failure chain into one line: "msg: cause: cause".
func failureText(fl *failurepb.Failure) string {
	var parts []string
	for ; fl != nil && len(parts) < 5; fl = fl.GetCause() {
		if m := fl.GetMessage(); m != "" {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, ": ")
}

// rawJSON returns the first payload as JSON when it is JSON-encoded, else its decoded value.
func rawJSON(dc converter.DataConverter, p *commonpb.Payloads) json.RawMessage {
	if len(p.GetPayloads()) == 0 {
		return nil
	}
	var v any
	if dc.FromPayload(p.GetPayloads()[0], &v) != nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// payloadsText renders heartbeat details compactly as JSON values joined by spaces.
func payloadsText(dc converter.DataConverter, p *commonpb.Payloads) string {
	var out []string
	for _, pl := range p.GetPayloads() {
		var v any
		if dc.FromPayload(pl, &v) != nil {
			continue
		}
		b, err := json.Marshal(v)
		if err == nil {
			out = append(out, string(b))
		}
	}
	return strings.Join(out, " ")
}
