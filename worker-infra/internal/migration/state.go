package migration

import (
	"encoding/json"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// Phases of a migration beyond the shared ones, reported in PipelinePhase.
const (
	PhaseValidatingMigration = "VALIDATING_MIGRATION"
	PhaseBackingUp           = "BACKING_UP"
	PhasePostValidating      = "POST_VALIDATING"
	PhaseRolledBack          = "ROLLED_BACK"
)

// Search attributes this workflow keeps current.
var (
	saPipelineID = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelineID)
	saPhase      = temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelinePhase)
	saProgress   = temporal.NewSearchAttributeKeyFloat64(contract.SearchAttrProgress)
)

// state is what the status and progress queries answer from.
type state struct {
	phase      string
	progress   float64
	current    string
	activities []status.Activity
	status     string
	result     *contract.MigrationResult
	failure    string
}

// setPhase records a phase and progress and upserts them as search attributes.
func (s *state) setPhase(ctx workflow.Context, phase string, progress float64) {
	s.phase, s.progress = phase, progress
	err := workflow.UpsertTypedSearchAttributes(ctx, saPhase.ValueSet(phase), saProgress.ValueSet(progress))
	if err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
}

// begin adds a running activity to the timeline.
func (s *state) begin(ctx workflow.Context, name string) int {
	now := workflow.Now(ctx).UTC()
	s.current = name
	s.activities = append(s.activities, status.Activity{Name: name, Status: status.ActivityRunning, StartedAt: &now, Attempts: 1})
	return len(s.activities) - 1
}

// end closes a timeline entry with its outcome.
func (s *state) end(ctx workflow.Context, i int, outcome string, err error) {
	a := &s.activities[i]
	a.Status = outcome
	if a.StartedAt != nil {
		a.Duration = status.FormatDuration(workflow.Now(ctx).Sub(*a.StartedAt))
	}
	if err != nil {
		a.LastFailure = err.Error()
	}
	s.current = ""
}

// document renders the state as the shared status model.
func (s *state) document(ctx workflow.Context) status.Document {
	info := workflow.GetInfo(ctx)
	acts := append([]status.Activity(nil), s.activities...)
	doc := status.Document{
		WorkflowID:      info.WorkflowExecution.ID,
		RunID:           info.WorkflowExecution.RunID,
		WorkflowType:    info.WorkflowType.Name,
		TaskQueue:       info.TaskQueueName,
		Status:          s.status,
		Phase:           s.phase,
		StartedAt:       info.WorkflowStartTime.UTC(),
		CurrentActivity: s.current,
		Progress:        s.progress,
		ProgressSource:  status.SourceQuery,
		Activities:      acts,
		PendingSignals:  []string{},
		Failure:         s.failure,
		HistoryLength:   info.GetCurrentHistoryLength(),
	}
	if s.result != nil {
		if b, err := json.Marshal(s.result); err == nil {
			doc.Result = b
		}
	}
	if doc.Activities == nil {
		doc.Activities = []status.Activity{}
	}
	return doc
}

// registerQueries answers `status` and `progress` from the state.
func (s *state) registerQueries(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (status.Document, error) {
		return s.document(ctx), nil
	}); err != nil {
		return err
	}
	return workflow.SetQueryHandler(ctx, contract.QueryProgress, func() (float64, error) {
		return s.progress, nil
	})
}

func elapsed(ctx workflow.Context) time.Duration {
	return workflow.Now(ctx).Sub(workflow.GetInfo(ctx).WorkflowStartTime)
}
