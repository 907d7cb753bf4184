package status

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	updatepb "go.temporal.io/api/update/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/matih/ops/shared/contract"
)

var t0 = time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)

func ts(sec int) *timestamppb.Timestamp {
	return timestamppb.New(t0.Add(time.Duration(sec) * time.Second))
}

func payloads(t *testing.T, vs ...any) *commonpb.Payloads {
	p, err := converter.GetDefaultDataConverter().ToPayloads(vs...)
	require.NoError(t, err)
	return p
}

// hist builds events with consecutive ids.
type hist struct{ evs []*historypb.HistoryEvent }

func (h *hist) add(sec int, typ enumspb.EventType, set func(*historypb.HistoryEvent)) int64 {
	ev := &historypb.HistoryEvent{EventId: int64(len(h.evs) + 1), EventTime: ts(sec), EventType: typ}
	set(ev)
	h.evs = append(h.evs, ev)
	return ev.EventId
}

func (h *hist) schedule(sec int, id, name string) int64 {
	return h.add(sec, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
			ActivityId: id, ActivityType: &commonpb.ActivityType{Name: name}}}
	})
}

func (h *hist) start(sec int, sched int64, attempt int32, lastFail string) int64 {
	return h.add(sec, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, func(ev *historypb.HistoryEvent) {
		a := &historypb.ActivityTaskStartedEventAttributes{ScheduledEventId: sched, Attempt: attempt}
		if lastFail != "" {
			a.LastFailure = &failurepb.Failure{Message: lastFail}
		}
		ev.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: a}
	})
}

func (h *hist) complete(sec int, sched int64) {
	h.add(sec, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{ScheduledEventId: sched}}
	})
}

func describe(t *testing.T, st enumspb.WorkflowExecutionStatus, phase string, progress float64) *workflowservice.DescribeWorkflowExecutionResponse {
	sa := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{}}
	if phase != "" {
		sa.IndexedFields[contract.SearchAttrPipelinePhase] = payloads(t, phase).Payloads[0]
		sa.IndexedFields[contract.SearchAttrProgress] = payloads(t, progress).Payloads[0]
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: "pipeline-sales-1", RunId: "run-1"},
		Type:      &commonpb.WorkflowType{Name: contract.DataPipelineWorkflow}, TaskQueue: contract.PipelineQueue,
		Status: st, StartTime: ts(0), HistoryLength: 42, SearchAttributes: sa,
	}}
}

func TestFoldRunningWithRetriesHeartbeatAndApprovalGate(t *testing.T) {
	var h hist
	s1 := h.schedule(1, "1", contract.ActivityExtractData)
	h.start(2, s1, 1, "")
	h.complete(65, s1)
	s2 := h.schedule(66, "2", contract.ActivityValidateQuality)
	h.start(80, s2, 3, "disk full")
	h.complete(90, s2)
	h.schedule(91, "3", contract.ActivityTriggerAirflowDAG)
	desc := describe(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, contract.PhaseAwaitingApproval, 0.4)
	desc.PendingActivities = []*workflowpb.PendingActivityInfo{{
		ActivityId: "3", ActivityType: &commonpb.ActivityType{Name: contract.ActivityTriggerAirflowDAG},
		State: enumspb.PENDING_ACTIVITY_STATE_STARTED, Attempt: 2, LastStartedTime: ts(100),
		LastFailure:      &failurepb.Failure{Message: "airflow 503", Cause: &failurepb.Failure{Message: "upstream down"}},
		HeartbeatDetails: payloads(t, map[string]any{"state": "running", "polls": 3}),
	}}

	doc := Fold(desc, h.evs, t0.Add(130*time.Second))

	assert.Equal(t, "pipeline-sales-1", doc.WorkflowID)
	assert.Equal(t, WorkflowRunning, doc.Status)
	assert.Equal(t, contract.PhaseAwaitingApproval, doc.Phase)
	assert.Equal(t, 0.4, doc.Progress)
	assert.Equal(t, SourceHistory, doc.ProgressSource)
	assert.Equal(t, 42, doc.HistoryLength)
	require.Len(t, doc.Activities, 3)
	assert.Equal(t, Activity{Name: "extract_data", Status: ActivityCompleted, Duration: "1m 3s", StartedAt: ptr(t0.Add(2 * time.Second)), Attempts: 1}, doc.Activities[0])
	assert.Equal(t, int32(3), doc.Activities[1].Attempts)
	assert.Equal(t, "disk full", doc.Activities[1].LastFailure)
	assert.Equal(t, "10s", doc.Activities[1].Duration)
	trig := doc.Activities[2]
	assert.Equal(t, ActivityRunning, trig.Status)
	assert.Equal(t, "30s", trig.Duration)
	assert.Equal(t, "airflow 503: upstream down", trig.LastFailure)
	assert.Equal(t, `{"polls":3,"state":"running"}`, trig.Heartbeat)
	assert.Equal(t, 3, doc.Retries, "2 retries of validate_quality + 1 of the pending trigger")
	assert.Equal(t, contract.ActivityTriggerAirflowDAG, doc.CurrentActivity)
	assert.Equal(t, []string{contract.SignalApproval}, doc.PendingSignals)
}

func TestFoldApprovalUpdateClosesTheGateAndLaterSignalIsIgnored(t *testing.T) {
	var h hist
	h.add(10, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
			AcceptedRequest: &updatepb.Request{Input: &updatepb.Input{Name: contract.UpdateApproval,
				Args: payloads(t, contract.ApprovalSignal{Approved: true, Approver: "ana@bastion", Reason: "known gap"})}}}}
	})
	h.add(20, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{
			SignalName: contract.SignalApproval, Input: payloads(t, contract.ApprovalSignal{Approved: false, Approver: "bob", Reason: "late"})}}
	})
	doc := Fold(describe(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, contract.PhaseAwaitingApproval, 0.4), h.evs, t0.Add(time.Minute))
	require.NotNil(t, doc.Approval)
	assert.True(t, doc.Approval.Decided)
	assert.True(t, doc.Approval.Approved)
	assert.Equal(t, "ana@bastion", doc.Approval.Approver)
	assert.Equal(t, t0.Add(10*time.Second), *doc.Approval.DecidedAt)
	require.Len(t, doc.Approval.Ignored, 1)
	assert.Equal(t, "bob", doc.Approval.Ignored[0].Approver)
	assert.Empty(t, doc.PendingSignals, "a decided gate is no longer waited for")
}

func TestFoldClosedRuns(t *testing.T) {
	var h hist
	h.add(30, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{
			Result: payloads(t, contract.PipelineResult{Status: contract.StatusCompleted, Approver: "ana"})}}
	})
	desc := describe(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, contract.PhaseCompleted, 0.9)
	desc.WorkflowExecutionInfo.CloseTime = ts(30)
	doc := Fold(desc, h.evs, t0.Add(time.Hour))
	assert.Equal(t, WorkflowCompleted, doc.Status)
	assert.Equal(t, 1.0, doc.Progress)
	assert.Equal(t, t0.Add(30*time.Second), *doc.ClosedAt)
	assert.Contains(t, string(doc.Result), `"approver":"ana"`)

	var f hist
	f.add(5, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes{WorkflowExecutionTerminatedEventAttributes: &historypb.WorkflowExecutionTerminatedEventAttributes{
			Reason: "stuck", Identity: "ops@host"}}
	})
	doc = Fold(describe(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, "", 0), f.evs, t0)
	assert.Equal(t, WorkflowTerminated, doc.Status)
	assert.Equal(t, "terminated: stuck (by ops@host)", doc.Failure)
}

func TestMergeKeepsHistoryTimelineAndAddsWorkflowView(t *testing.T) {
	decided := t0
	doc := Document{Status: WorkflowRunning, ProgressSource: SourceHistory, Progress: 0.2,
		Activities: []Activity{{Name: "extract_data", Status: ActivityCompleted, Attempts: 2}},
		Approval:   &Approval{Decided: true, Approved: true, Approver: "ana", DecidedAt: &decided}}
	q := Document{Phase: contract.PhaseTransforming, CurrentActivity: "trigger_airflow_dag", Progress: 0.6,
		PendingSignals: []string{},
		Activities:     []Activity{{Name: "extract_data", Status: ActivityCompleted}, {Name: "trigger_airflow_dag", Status: ActivitySkipped}},
		Approval:       &Approval{Deadline: t0.Add(4 * time.Hour), MinScore: 0.9},
		Quality:        &contract.QualityResult{Score: 0.7},
		Partitions:     &PartitionSummary{Total: 60, Done: 12}}
	Merge(&doc, q)
	assert.Equal(t, SourceQuery, doc.ProgressSource)
	assert.Equal(t, 0.6, doc.Progress)
	assert.Equal(t, contract.PhaseTransforming, doc.Phase)
	require.Len(t, doc.Activities, 2)
	assert.Equal(t, int32(2), doc.Activities[0].Attempts, "history's attempts survive")
	assert.Equal(t, ActivitySkipped, doc.Activities[1].Status)
	assert.Equal(t, 0.9, doc.Approval.MinScore)
	assert.False(t, doc.Approval.Decided, "the workflow's own view of its gate wins over history's")
	assert.Equal(t, 0.7, doc.Quality.Score)
	require.NotNil(t, doc.Partitions, "a backfill's partitions reach matih status")
	assert.Equal(t, 12, doc.Partitions.Done)
}

func ptr[T any](v T) *T { return &v }

func TestMergeActivitiesKeepsTheWorkflowsOrder(t *testing.T) {
	hist := []Activity{{Name: "extract_data"}, {Name: "validate_quality"}, {Name: "load_to_iceberg"}, {Name: "notify_pipeline_completion"}}
	q := []Activity{{Name: "extract_data"}, {Name: "validate_quality"}, {Name: "trigger_airflow_dag", Status: ActivitySkipped}, {Name: "load_to_iceberg"}}
	got := mergeActivities(hist, q)
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	assert.Equal(t, []string{"extract_data", "validate_quality", "trigger_airflow_dag", "load_to_iceberg", "notify_pipeline_completion"}, names)
	assert.Equal(t, []string{"skipped_first", "a"}, func() []string {
		var n []string
		for _, a := range mergeActivities([]Activity{{Name: "a"}}, []Activity{{Name: "skipped_first"}, {Name: "a"}}) {
			n = append(n, a.Name)
		}
		return n
	}())
}

func TestAFailingWorkflowTaskSaysWhyTheRunIsStuck(t *testing.T) {
	var h hist
	h.add(0, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_WorkflowTaskFailedEventAttributes{WorkflowTaskFailedEventAttributes: &historypb.WorkflowTaskFailedEventAttributes{
			Cause:   enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
			Failure: &failurepb.Failure{Message: "unable to find workflow type: TableMaintenanceWorkflow"}}}
	})
	d := describe(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, "", 0)
	d.WorkflowExecutionInfo.TaskQueue = "infra-workers"
	d.WorkflowExecutionInfo.Type = &commonpb.WorkflowType{Name: "TableMaintenanceWorkflow"}
	d.PendingWorkflowTask = &workflowpb.PendingWorkflowTaskInfo{Attempt: 12}
	doc := Fold(d, h.evs, t0.Add(time.Minute))
	assert.Contains(t, doc.Stuck, "attempt 12")
	assert.Contains(t, doc.Stuck, "unable to find workflow type: TableMaintenanceWorkflow")
	assert.Contains(t, doc.Stuck, "infra-workers")

	// A later successful workflow task clears it.
	h.add(30, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{}}
	})
	d.PendingWorkflowTask = nil
	assert.Empty(t, Fold(d, h.evs, t0.Add(time.Minute)).Stuck)
}

func TestFoldCountsASignalOnlyWhileTheRunAwaitsApproval(t *testing.T) {
	var h hist
	phase := func(sec int, p string) {
		h.add(sec, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, func(ev *historypb.HistoryEvent) {
			pl, err := converter.GetDefaultDataConverter().ToPayload(p)
			require.NoError(t, err)
			ev.Attributes = &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
				SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{contract.SearchAttrPipelinePhase: pl}}}}
		})
	}
	signal := func(sec int, sig contract.ApprovalSignal) {
		h.add(sec, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, func(ev *historypb.HistoryEvent) {
			ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{
				SignalName: contract.SignalApproval, Input: payloads(t, sig)}}
		})
	}
	phase(0, contract.PhaseExtracting)
	signal(1, contract.ApprovalSignal{Approved: true, Approver: "eager", Reason: "early"})
	phase(2, contract.PhaseAwaitingApproval)
	signal(3, contract.ApprovalSignal{Approved: true, Reason: "no name"})
	signal(4, contract.ApprovalSignal{Approved: false, Approver: "bo", Reason: "gaps"})
	doc := Fold(describe(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, contract.PhaseAwaitingApproval, 0.4), h.evs, t0.Add(time.Minute))
	require.NotNil(t, doc.Approval)
	assert.True(t, doc.Approval.Decided)
	assert.Equal(t, "bo", doc.Approval.Approver, "the early and the anonymous signals did not count")
	assert.Len(t, doc.Approval.Ignored, 2)
}
