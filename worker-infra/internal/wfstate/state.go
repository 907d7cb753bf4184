// Package wfstate keeps what a running workflow reports: its phase and progress (also
// as search attributes), its activity timeline, and the status document its `status`
// query returns.
package wfstate

import (
	"encoding/json"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// Search attributes this workflow keeps current.
var (
	SAPipelineID = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelineID)
	SAPhase      = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelinePhase)
	SAProgress   = temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrProgress)
)

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
	err := workflow.UpsertTypedSearchAttributes(ctx, SAPhase.ValueSet(phase), SAProgress.ValueSet(progress))
	if err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
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
	info := workflow.GetInfo(ctx)
	acts := append([]status.Activity(nil), s.Activities...)
	doc := status.Document{
		WorkflowID:      info.WorkflowExecution.ID,
		RunID:           info.WorkflowExecution.RunID,
		WorkflowType:    info.WorkflowType.Name,
		TaskQueue:       info.TaskQueueName,
		Status:          s.Status,
		Phase:           s.Phase,
		StartedAt:       info.WorkflowStartTime.UTC(),
		CurrentActivity: s.Current,
		Progress:        s.Progress,
		ProgressSource:  status.SourceQuery,
		Activities:      acts,
		PendingSignals:  []string{},
		Failure:         s.Failure,
		HistoryLength:   info.GetCurrentHistoryLength(),
	}
	if s.Result != nil {
		if b, err := json.Marshal(s.Result); err == nil {
			doc.Result = b
		}
	}
	if doc.Activities == nil {
		doc.Activities = []status.Activity{}
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
