// Package wfstate keeps what a running workflow reports: its phase and progress (also
// as search attributes), its activity timeline, and the status document its `status`
// query returns. Every workflow builds its search attributes and the head of its
// status document here, so lists and `matih status` read all four types alike; a
// workflow adds only what it alone knows (approval, partitions). Workflow code:
// it imports only the contract, the status document and the SDK's workflow package.
package wfstate

import (
	"encoding/json"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// The search attributes the workflows keep current (contract.SearchAttr*).
var (
	SAPipelineID   = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelineID)
	SAPhase        = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelinePhase)
	SAProgress     = temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrProgress)
	SAQualityScore = temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrQualityScore)
)

// Upsert sets PipelinePhase and Progress, and any other attribute given. A failure is
// logged: search attributes feed lists, never the run's own logic.
func Upsert(ctx workflow.Context, phase string, progress float64, also ...temporal.SearchAttributeUpdate) {
	updates := append([]temporal.SearchAttributeUpdate{SAPhase.ValueSet(phase), SAProgress.ValueSet(progress)}, also...)
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
}

// SetPipelineID tags the run with the pipeline (or migration) it belongs to.
func SetPipelineID(ctx workflow.Context, id string) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, SAPipelineID.ValueSet(id)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert PipelineId failed", "error", err)
	}
}

// Head is the status document of the running run as far as every workflow knows it:
// identity, status RUNNING, phase, progress from the query, when it started, and
// empty (not null) activities and pending signals. The caller adds the rest.
func Head(ctx workflow.Context, phase string, progress float64, started time.Time) status.Document {
	info := workflow.GetInfo(ctx)
	return status.Document{
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		WorkflowType: info.WorkflowType.Name, TaskQueue: info.TaskQueueName,
		Status: status.WorkflowRunning, Phase: phase, StartedAt: started,
		Progress: progress, ProgressSource: status.SourceQuery,
		Activities: []status.Activity{}, PendingSignals: []string{}, HistoryLength: info.GetCurrentHistoryLength(),
	}
}

// State is what the status and progress queries answer from.
type State struct {
	Phase      string
	Progress   float64
	Current    string
	Activities []status.Activity
	Status     string
	Result     any
	Failure    string
}

// SetPhase records a phase and progress and upserts them as search attributes.
func (s *State) SetPhase(ctx workflow.Context, phase string, progress float64) {
	s.Phase, s.Progress = phase, progress
	Upsert(ctx, phase, progress)
}

// Begin adds a running activity to the timeline.
func (s *State) Begin(ctx workflow.Context, name string) int {
	now := workflow.Now(ctx).UTC()
	s.Current = name
	s.Activities = append(s.Activities, status.Activity{Name: name, Status: status.ActivityRunning, StartedAt: &now})
	return len(s.Activities) - 1
}

// End closes a timeline entry with its outcome.
func (s *State) End(ctx workflow.Context, i int, outcome string, err error) {
	a := &s.Activities[i]
	a.Status = outcome
	if a.StartedAt != nil {
		a.Duration = status.FormatDuration(workflow.Now(ctx).Sub(*a.StartedAt))
	}
	if err != nil {
		a.LastFailure = err.Error()
	}
	s.Current = ""
}

// Document renders the state as the shared status model.
func (s *State) Document(ctx workflow.Context) status.Document {
	doc := Head(ctx, s.Phase, s.Progress, workflow.GetInfo(ctx).WorkflowStartTime.UTC())
	doc.Status, doc.CurrentActivity, doc.Failure = s.Status, s.Current, s.Failure
	doc.Activities = append(doc.Activities, s.Activities...)
	if s.Result != nil {
		if b, err := json.Marshal(s.Result); err == nil {
			doc.Result = b
		}
	}
	return doc
}

// RegisterQueries answers `status` and `progress` from the state.
func (s *State) RegisterQueries(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (status.Document, error) {
		return s.Document(ctx), nil
	}); err != nil {
		return err
	}
	return workflow.SetQueryHandler(ctx, contract.QueryProgress, func() (float64, error) {
		return s.Progress, nil
	})
}

// Elapsed is the time since the workflow started.
func Elapsed(ctx workflow.Context) time.Duration {
	return workflow.Now(ctx).Sub(workflow.GetInfo(ctx).WorkflowStartTime)
}
