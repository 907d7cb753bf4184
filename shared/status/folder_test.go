package status

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/matih/ops/shared/contract"
)

// richHistory has retries, a decision, an ignored decision and a pending activity.
func richHistory(t *testing.T) ([]*historypb.HistoryEvent, time.Time) {
	var h hist
	s1 := h.schedule(1, "1", contract.ActivityExtractData)
	h.start(2, s1, 1, "")
	h.complete(65, s1)
	s2 := h.schedule(66, "2", contract.ActivityValidateQuality)
	h.start(80, s2, 3, "disk full")
	h.complete(90, s2)
	for _, who := range []string{"ana", "bob"} {
		h.add(95, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, func(ev *historypb.HistoryEvent) {
			ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{
				SignalName: contract.SignalApproval, Input: payloads(t, contract.ApprovalSignal{Approved: true, Approver: who})}}
		})
	}
	h.schedule(100, "3", contract.ActivityTriggerAirflowDAG)
	return h.evs, t0.Add(130 * time.Second)
}

func TestFolderInStepsEqualsFoldingAtOnce(t *testing.T) {
	evs, now := richHistory(t)
	desc := describe(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, contract.PhaseAwaitingApproval, 0.4)
	desc.PendingActivities = []*workflowpb.PendingActivityInfo{{ActivityId: "3", ActivityType: &commonpb.ActivityType{Name: contract.ActivityTriggerAirflowDAG},
		State: enumspb.PENDING_ACTIVITY_STATE_STARTED, Attempt: 2, LastStartedTime: ts(100)}}
	want := Fold(desc, evs, now)
	for split := 0; split <= len(evs); split++ {
		f := NewFolder()
		require.NoError(t, f.Add(evs[:split]))
		early := f.Document(desc, now) // asking in between must not disturb the fold
		early.Activities = append(early.Activities, Activity{Name: "scribble"})
		require.NoError(t, f.Add(evs[split:]))
		require.NoError(t, f.Add(evs[:split]), "events already folded are skipped")
		assert.Equal(t, want, f.Document(desc, now), "split at %d", split)
	}
}

func TestFolderRefusesAGapAndFoldsNothingOfIt(t *testing.T) {
	evs, now := richHistory(t)
	desc := describe(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, "", 0)
	f := NewFolder()
	require.NoError(t, f.Add(evs[:3]))
	before := f.Document(desc, now)
	err := f.Add(evs[5:])
	require.ErrorIs(t, err, ErrGap)
	assert.Contains(t, err.Error(), "event 6 follows event 3")
	assert.Equal(t, int64(3), f.Last())
	assert.Equal(t, before, f.Document(desc, now))
}
