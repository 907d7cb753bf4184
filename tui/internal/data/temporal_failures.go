package data

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/matih/ops/tui/internal/inbox"
	"golang.org/x/sync/errgroup"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// MaxFailures bounds how many failed runs one Failures call reads (one close event each).
const MaxFailures = 2000

// FailedQuery lists the runs that failed, timed out or were terminated since a time.
func FailedQuery(since time.Time) string {
	return fmt.Sprintf("ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated') AND CloseTime >= '%s'", since.UTC().Format(time.RFC3339))
}

// Failures reads the runs closed in failure since a time, newest first, each with the
// failure from its close event (one event read per run, eight at a time).
func (t *Temporal) Failures(ctx context.Context, since time.Time) ([]Failure, error) {
	var infos []*workflowpb.WorkflowExecutionInfo
	var token []byte
	for len(infos) < MaxFailures {
		resp, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: t.Namespace, PageSize: 1000, NextPageToken: token, Query: FailedQuery(since)})
		if err != nil {
			return nil, Classify(err)
		}
		for _, e := range resp.GetExecutions() {
			if !undivided(e) {
				infos = append(infos, e)
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	infos = infos[:min(len(infos), MaxFailures)]
	out := make([]Failure, len(infos))
	var g errgroup.Group
	g.SetLimit(inbox.Reads) // history reads on the server the workers share, as the inbox's
	for i, e := range infos {
		g.Go(func() (err error) {
			out[i], err = t.failureOf(ctx, e)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, Classify(err)
	}
	return out, nil
}

func (t *Temporal) failureOf(ctx context.Context, e *workflowpb.WorkflowExecutionInfo) (Failure, error) {
	f := Failure{WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(), Type: e.GetType().GetName(),
		ClosedAt: e.GetCloseTime().AsTime().UTC(), BuildID: buildOf(e)}
	it := t.Client.GetWorkflowHistory(ctx, f.WorkflowID, f.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return f, err
		}
		describeClose(&f, ev)
	}
	return f, nil
}

// buildOf is the worker build that last ran the run.
func buildOf(e *workflowpb.WorkflowExecutionInfo) string {
	if v := e.GetVersioningInfo().GetDeploymentVersion(); v.GetBuildId() != "" {
		return v.GetDeploymentName() + "." + v.GetBuildId()
	}
	return e.GetMostRecentWorkerVersionStamp().GetBuildId()
}

func describeClose(f *Failure, ev *historypb.HistoryEvent) {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		fl := ev.GetWorkflowExecutionFailedEventAttributes().GetFailure()
		f.ErrorType, f.Message, f.Activity = classify(fl)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		f.ErrorType, f.Message = "Timeout", "workflow run timed out"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		f.ErrorType, f.Message = "Terminated", ev.GetWorkflowExecutionTerminatedEventAttributes().GetReason()
	}
}

// classify walks a failure chain: the activity that failed, if any, and the root
// cause's type and message (an application error's own type where it has one).
func classify(fl *failurepb.Failure) (errType, msg, activity string) {
	var parts []string
	for depth := 0; fl != nil && depth < 8; depth, fl = depth+1, fl.GetCause() {
		if a := fl.GetActivityFailureInfo(); a != nil && activity == "" {
			activity = a.GetActivityType().GetName()
		}
		switch {
		case fl.GetApplicationFailureInfo() != nil && fl.GetApplicationFailureInfo().GetType() != "":
			errType = fl.GetApplicationFailureInfo().GetType()
		case fl.GetTimeoutFailureInfo() != nil:
			errType = "Timeout(" + strings.TrimPrefix(fl.GetTimeoutFailureInfo().GetTimeoutType().String(), "TIMEOUT_TYPE_") + ")"
		case fl.GetCanceledFailureInfo() != nil:
			errType = "Canceled"
		case fl.GetTerminatedFailureInfo() != nil:
			errType = "Terminated"
		}
		if m := fl.GetMessage(); m != "" && fl.GetActivityFailureInfo() == nil {
			parts = append(parts, m)
		}
	}
	if errType == "" {
		errType = "Error"
	}
	if len(parts) > 0 {
		msg = parts[len(parts)-1] // the root cause says most
	}
	return errType, msg, activity
}
