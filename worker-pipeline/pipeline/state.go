package pipeline

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/signals"
	"github.com/matih/ops/shared/status"
)

// Search attribute keys the pipeline upserts so lists show phase and progress
// without querying each workflow.
var (
	saPipelineID = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelineID)
	saPhase      = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelinePhase)
	saProgress   = temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrProgress)
	saQuality    = temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrQualityScore)
)

// stepWeight is each step's share of the progress bar.
var stepWeight = map[string]float64{
	contract.ActivityExtractData:       0.3,
	contract.ActivityValidateQuality:   0.1,
	contract.ActivityTriggerAirflowDAG: 0.3,
	contract.ActivityLoadToIceberg:     0.3,
}

// tracker is what the workflow knows about itself; the status query renders it.
type tracker struct {
	phase      string
	current    string
	progress   float64
	started    time.Time
	activities []status.Activity
	quality    *contract.QualityResult
	approval   *status.Approval
	awaiting   bool
	decision   *contract.ApprovalSignal
	ignored    []contract.ApprovalSignal
	cancelReq  *contract.CancelSignal
	refused    signals.Refusals
}

// setPhase records a phase change and upserts the search attributes.
func (t *tracker) setPhase(ctx workflow.Context, phase string) {
	t.phase = phase
	t.upsert(ctx)
}

func (t *tracker) upsert(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{saPhase.ValueSet(t.phase), saProgress.ValueSet(t.progress)}
	if t.quality != nil {
		updates = append(updates, saQuality.ValueSet(t.quality.Score))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
}

// begin adds a running step to the timeline and returns its index.
func (t *tracker) begin(ctx workflow.Context, name string) int {
	now := workflow.Now(ctx)
	t.current = name
	t.activities = append(t.activities, status.Activity{Name: name, Status: status.ActivityRunning, StartedAt: &now})
	return len(t.activities) - 1
}

// end closes step i with the outcome of err.
func (t *tracker) end(ctx workflow.Context, i int, err error) {
	a := &t.activities[i]
	if a.StartedAt != nil {
		a.Duration = status.FormatDuration(workflow.Now(ctx).Sub(*a.StartedAt))
	}
	switch {
	case err == nil:
		a.Status = status.ActivityCompleted
		t.progress += stepWeight[a.Name]
		t.current = ""
	case temporal.IsCanceledError(err):
		a.Status = status.ActivityCancelled
	default:
		a.Status = status.ActivityFailed
		a.LastFailure = err.Error()
	}
}

// skip records a step that does not run.
func (t *tracker) skip(name, why string) {
	t.activities = append(t.activities, status.Activity{Name: name, Status: status.ActivitySkipped, LastFailure: why})
	t.progress += stepWeight[name]
}

// document renders the status query's answer.
func (t *tracker) document(ctx workflow.Context) status.Document {
	info := workflow.GetInfo(ctx)
	d := status.Document{
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		WorkflowType: info.WorkflowType.Name, TaskQueue: info.TaskQueueName,
		Status: "RUNNING", Phase: t.phase, StartedAt: t.started, CurrentActivity: t.current,
		Progress: t.progress, ProgressSource: status.SourceQuery,
		Activities: append([]status.Activity{}, t.activities...), PendingSignals: []string{},
		Quality: t.quality, HistoryLength: info.GetCurrentHistoryLength(), RefusedSignals: t.refused.Summary(),
	}
	if t.awaiting {
		d.PendingSignals = append(d.PendingSignals, contract.SignalApproval)
	}
	if t.approval != nil {
		a := *t.approval
		a.Ignored = append([]contract.ApprovalSignal{}, t.ignored...)
		d.Approval = &a
	}
	return d
}
