package migration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/shared/wfstate"
)

type WorkflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env      *testsuite.TestWorkflowEnvironment
	notified []contract.FailureNotification
}

func TestWorkflow(t *testing.T) { suite.Run(t, new(WorkflowSuite)) }

var cfg = contract.MigrationConfig{
	MigrationID: "m_001", Target: contract.TargetPostgres, DSN: "postgres://u@localhost/db", Table: "orders",
	Statements: []string{"ALTER TABLE orders ADD COLUMN note text"}, DataPreserving: true,
}

var backup = contract.BackupRef{MigrationID: "m_001", Target: contract.TargetPostgres, Table: "public.orders",
	Location: "backup_m_001.orders", RowCount: 50, Checksum: "abc"}

// The workflow calls activities by name; these signatures match the real ones.
func (s *WorkflowSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.notified = nil
	reg := func(name string, fn any) { s.env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name}) }
	reg(contract.ActivityValidateMigration, func(context.Context, contract.MigrationConfig) error { return nil })
	reg(contract.ActivityCreateBackup, func(context.Context, contract.MigrationConfig) (contract.BackupRef, error) { return backup, nil })
	reg(contract.ActivityApplyMigration, func(context.Context, contract.MigrationConfig) (contract.ApplyResult, error) {
		return contract.ApplyResult{MigrationID: "m_001", Statements: 1}, nil
	})
	reg(contract.ActivityValidatePostMigration, func(context.Context, contract.MigrationConfig, contract.BackupRef) (contract.PostValidation, error) {
		return contract.PostValidation{Passed: true}, nil
	})
	reg(contract.ActivityRestoreBackup, func(context.Context, contract.BackupRef) (contract.RestoreResult, error) {
		return contract.RestoreResult{MigrationID: "m_001", Restored: true}, nil
	})
	reg(contract.ActivityNotifyFailure, func(_ context.Context, n contract.FailureNotification) (contract.NotificationResult, error) {
		s.notified = append(s.notified, n)
		return contract.NotificationResult{Delivered: []string{"outbox"}}, nil
	})
	s.env.RegisterWorkflowWithOptions(SchemaMigration, workflowOpts)
	testkit.RegisterNotificationDelivery(s.env)
}

func (s *WorkflowSuite) result() contract.MigrationResult {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var res contract.MigrationResult
	s.Require().NoError(s.env.GetWorkflowResult(&res))
	return res
}

func (s *WorkflowSuite) statusDoc() status.Document {
	v, err := s.env.QueryWorkflow(contract.QueryStatus)
	s.Require().NoError(err)
	var doc status.Document
	s.Require().NoError(v.Get(&doc))
	return doc
}

func (s *WorkflowSuite) activityNames(doc status.Document) []string {
	var names []string
	for _, a := range doc.Activities {
		names = append(names, a.Name+":"+a.Status)
	}
	return names
}

func (s *WorkflowSuite) TestSuccess() {
	var phases []string
	var progress []float64
	s.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if p, ok := sa.GetKeyword(wfstate.SAPhase); ok {
			phases = append(phases, p)
		}
		if p, ok := sa.GetFloat64(wfstate.SAProgress); ok {
			progress = append(progress, p)
		}
	}).Return(nil)
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	res := s.result()
	s.Equal(contract.StatusCompleted, res.Status)
	s.Equal(backup, res.Backup)
	s.Empty(s.notified)
	doc := s.statusDoc()
	s.Equal(contract.PhaseCompleted, doc.Phase)
	s.Equal(1.0, doc.Progress)
	s.Equal([]string{"validate_migration:COMPLETED", "create_backup:COMPLETED", "apply_migration:COMPLETED", "validate_post_migration:COMPLETED"}, s.activityNames(doc))
	v, err := s.env.QueryWorkflow(contract.QueryProgress)
	s.Require().NoError(err)
	var p float64
	s.Require().NoError(v.Get(&p))
	s.Equal(1.0, p)
	s.Equal([]string{PhaseValidatingMigration, PhaseBackingUp, contract.PhaseMigrating, PhasePostValidating, contract.PhaseCompleted}, phases)
	s.Equal([]float64{0.05, 0.25, 0.5, 0.75, 1}, progress)
}

func (s *WorkflowSuite) TestBadInputFailsFast() {
	bad := cfg
	bad.Statements = nil
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, bad)
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var ae *temporal.ApplicationError
	s.Require().True(errors.As(err, &ae))
	s.Equal(contract.ErrTypeValidation, ae.Type())
	s.True(ae.NonRetryable())
	s.Contains(err.Error(), "statements")
	s.Empty(s.statusDoc().Activities, "no activity ran")
}

func (s *WorkflowSuite) TestValidateFails() {
	s.env.OnActivity(contract.ActivityValidateMigration, mock.Anything, mock.Anything).
		Return(retry.Classify(contract.Invalid("statements[1]", "a statement on the declared table"))).Once()
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	s.Require().Error(s.env.GetWorkflowError())
	s.Contains(s.env.GetWorkflowError().Error(), "statements[1]")
	s.Equal([]string{"validate_migration:FAILED"}, s.activityNames(s.statusDoc()))
	s.Require().Len(s.notified, 1)
	s.Equal(contract.SeverityCritical, s.notified[0].Severity)
	s.Equal(contract.ActivityValidateMigration, s.notified[0].Activity)
	s.Equal("m_001", s.notified[0].PipelineID)
}

func (s *WorkflowSuite) TestBackupFails() {
	s.env.OnActivity(contract.ActivityCreateBackup, mock.Anything, mock.Anything).
		Return(contract.BackupRef{}, retry.Classify(&contract.SchemaConflictError{Table: "orders", Detail: "backup schema exists"}))
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	s.Require().Error(s.env.GetWorkflowError())
	s.Equal([]string{"validate_migration:COMPLETED", "create_backup:FAILED"}, s.activityNames(s.statusDoc()))
	s.Require().Len(s.notified, 1)
	s.Equal(contract.StatusFailed, s.statusDoc().Status)
}

func (s *WorkflowSuite) TestApplyFailsRestoresAndReraises() {
	s.env.OnActivity(contract.ActivityApplyMigration, mock.Anything, mock.Anything).
		Return(contract.ApplyResult{}, retry.Classify(&contract.SchemaConflictError{Table: "orders", Detail: "statements[1]: column does not exist"}))
	var restored []contract.BackupRef
	s.env.OnActivity(contract.ActivityRestoreBackup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, b contract.BackupRef) (contract.RestoreResult, error) {
			restored = append(restored, b)
			return contract.RestoreResult{MigrationID: b.MigrationID}, nil
		})
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "statements[1]")
	s.Equal([]contract.BackupRef{backup}, restored)
	s.Equal([]string{"validate_migration:COMPLETED", "create_backup:COMPLETED", "apply_migration:FAILED", "restore_backup:COMPLETED"}, s.activityNames(s.statusDoc()))
	s.Require().Len(s.notified, 1)
	s.Equal(contract.ActivityApplyMigration, s.notified[0].Activity)
}

func (s *WorkflowSuite) TestRestoreFailureIsReported() {
	s.env.OnActivity(contract.ActivityApplyMigration, mock.Anything, mock.Anything).
		Return(contract.ApplyResult{}, retry.Classify(&contract.SchemaConflictError{Table: "orders", Detail: "bad"}))
	s.env.OnActivity(contract.ActivityRestoreBackup, mock.Anything, mock.Anything).
		Return(contract.RestoreResult{}, retry.Classify(&contract.SchemaConflictError{Table: "orders", Detail: "backup missing"}))
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.True(IsRestoreFailure(err))
	s.Contains(err.Error(), "backup missing")
}

func (s *WorkflowSuite) TestPostValidationFailsRollsBack() {
	s.env.OnActivity(contract.ActivityValidatePostMigration, mock.Anything, mock.Anything, mock.Anything).
		Return(contract.PostValidation{Passed: false, Failures: []string{"data_preserving: 49 rows, backup had 50"}}, nil)
	restores := 0
	s.env.OnActivity(contract.ActivityRestoreBackup, mock.Anything, backup).Return(contract.RestoreResult{Restored: true}, nil).Run(func(mock.Arguments) { restores++ })
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	res := s.result()
	s.Equal(contract.StatusRolledBack, res.Status)
	s.Equal([]string{"data_preserving: 49 rows, backup had 50"}, res.Failures)
	s.Equal(1, restores)
	s.Require().Len(s.notified, 1)
	s.Equal(contract.SeverityWarning, s.notified[0].Severity)
	s.Equal(PhaseRolledBack, s.statusDoc().Phase)
}

func (s *WorkflowSuite) TestPostValidationErrorRestores() {
	s.env.OnActivity(contract.ActivityValidatePostMigration, mock.Anything, mock.Anything, mock.Anything).
		Return(contract.PostValidation{}, retry.Classify(&contract.PermissionDeniedError{System: "postgresql", Detail: "no"}))
	restores := 0
	s.env.OnActivity(contract.ActivityRestoreBackup, mock.Anything, backup).Return(contract.RestoreResult{Restored: true}, nil).Run(func(mock.Arguments) { restores++ })
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	s.Require().Error(s.env.GetWorkflowError())
	s.Equal(1, restores)
}

func (s *WorkflowSuite) TestCancelBeforeApplyDoesNotRestore() {
	s.env.OnActivity(contract.ActivityCreateBackup, mock.Anything, mock.Anything).After(time.Hour).Return(backup, nil)
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, time.Minute)
	applied, restored := false, false
	s.env.OnActivity(contract.ActivityApplyMigration, mock.Anything, mock.Anything).Return(contract.ApplyResult{}, nil).Run(func(mock.Arguments) { applied = true })
	s.env.OnActivity(contract.ActivityRestoreBackup, mock.Anything, mock.Anything).Return(contract.RestoreResult{}, nil).Run(func(mock.Arguments) { restored = true })
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	res := s.result()
	s.Equal(contract.StatusCancelled, res.Status)
	s.False(applied)
	s.False(restored)
	s.Equal(contract.PhaseCancelled, s.statusDoc().Phase)
	s.Require().Len(s.notified, 1)
	s.Equal(contract.SeverityInfo, s.notified[0].Severity)
}

func (s *WorkflowSuite) TestCancelAfterApplyRestores() {
	s.env.OnActivity(contract.ActivityValidatePostMigration, mock.Anything, mock.Anything, mock.Anything).
		After(time.Hour).Return(contract.PostValidation{Passed: true}, nil)
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, time.Minute)
	restores := 0
	s.env.OnActivity(contract.ActivityRestoreBackup, mock.Anything, backup).Return(contract.RestoreResult{Restored: true}, nil).Run(func(mock.Arguments) { restores++ })
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	res := s.result()
	s.Equal(contract.StatusCancelled, res.Status)
	s.Contains(res.Reason, "restored")
	s.Equal(1, restores)
}

func (s *WorkflowSuite) TestCancelSignalDuringApplyRestores() {
	s.env.OnActivity(contract.ActivityApplyMigration, mock.Anything, mock.Anything).
		After(time.Hour).Return(contract.ApplyResult{Statements: 1}, nil)
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(contract.SignalCancel, contract.CancelSignal{RequestedBy: "oncall", Reason: "wrong window"})
	}, time.Minute)
	restores := 0
	s.env.OnActivity(contract.ActivityRestoreBackup, mock.Anything, backup).Return(contract.RestoreResult{}, nil).Run(func(mock.Arguments) { restores++ })
	s.env.ExecuteWorkflow(contract.SchemaMigrationWorkflow, cfg)
	res := s.result()
	s.Equal(contract.StatusCancelled, res.Status)
	s.Equal(1, restores)
}
