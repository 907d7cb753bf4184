package pipeline

import (
	"time"

	"github.com/matih/ops/shared/wfstate"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/signals"
	"github.com/matih/ops/shared/status"
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
	// authority refuses a decision by an identity the definition does not allow.
	authority func(approver string) error
}

// setPhase records a phase change and upserts the search attributes.
func (t *tracker) setPhase(ctx workflow.Context, phase string) {
	t.phase = phase
	t.upsert(ctx)
}

// upsert writes phase and progress, and the quality score once it is known, so
// lists show them without querying each workflow.
func (t *tracker) upsert(ctx workflow.Context) {
	if t.quality != nil {
		wfstate.Upsert(ctx, t.phase, t.progress, wfstate.SAQualityScore.ValueSet(t.quality.Score))
		return
	}
	wfstate.Upsert(ctx, t.phase, t.progress)
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
	d := wfstate.Head(ctx, t.phase, t.progress, t.started)
	d.CurrentActivity, d.Quality, d.RefusedSignals = t.current, t.quality, t.refused.Summary()
	d.Activities = append(d.Activities, t.activities...)
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
