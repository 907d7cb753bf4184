package maintenance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/retry"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

func newEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *[]contract.FailureNotification) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var notified []contract.FailureNotification
	env.RegisterActivityWithOptions(func(_ context.Context, req contract.CompactionRequest) (contract.CompactionResult, error) {
		return contract.CompactionResult{Table: req.Table, FilesBefore: 20, FilesAfter: 1, Rows: 1000, RowsAfter: 1000}, nil
	}, activity.RegisterOptions{Name: contract.ActivityCompactIcebergTable})
	env.RegisterActivityWithOptions(func(_ context.Context, req contract.ExpiryRequest) (contract.CompactionResult, error) {
		return contract.CompactionResult{Table: req.Table, SnapshotsExpired: 3}, nil
	}, activity.RegisterOptions{Name: contract.ActivityExpireIcebergSnapshots})
	env.RegisterActivityWithOptions(func(_ context.Context, n contract.FailureNotification) error {
		notified = append(notified, n)
		return nil
	}, activity.RegisterOptions{Name: contract.ActivityNotifyFailure})
	env.RegisterWorkflowWithOptions(TableMaintenance, workflowOpts)
	testkit.RegisterNotificationDelivery(env)
	return env, &notified
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) contract.MaintenanceResult {
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contract.MaintenanceResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestCompactsAndExpiresEachTable(t *testing.T) {
	env, notified := newEnv(t)
	env.ExecuteWorkflow(contract.TableMaintenanceWorkflow, contract.MaintenanceConfig{Tables: []string{"a.one", "a.two"}, RetainLastNumber: 2})
	res := result(t, env)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	require.Len(t, res.Tables, 2)
	assert.Equal(t, contract.CompactionResult{Table: "a.two", FilesBefore: 20, FilesAfter: 1, Rows: 1000, RowsAfter: 1000, SnapshotsExpired: 3}, res.Tables[1])
	assert.Empty(t, *notified)
	v, err := env.QueryWorkflow(contract.QueryStatus)
	require.NoError(t, err)
	var doc status.Document
	require.NoError(t, v.Get(&doc))
	assert.Equal(t, 1.0, doc.Progress)
	assert.Len(t, doc.Activities, 4)
}

func TestOneTableFailingDoesNotStopTheOthers(t *testing.T) {
	env, notified := newEnv(t)
	env.OnActivity(contract.ActivityCompactIcebergTable, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req contract.CompactionRequest) (contract.CompactionResult, error) {
			if req.Table == "a.one" {
				return contract.CompactionResult{}, retry.Classify(contract.Invalid("table", "an existing Iceberg table"))
			}
			return contract.CompactionResult{Table: req.Table, FilesBefore: 20, FilesAfter: 1}, nil
		})
	env.ExecuteWorkflow(contract.TableMaintenanceWorkflow, contract.MaintenanceConfig{Tables: []string{"a.one", "a.two"}})
	res := result(t, env)
	assert.Equal(t, contract.StatusFailed, res.Status)
	assert.Contains(t, res.Tables[0].Error, "compaction")
	assert.Empty(t, res.Tables[1].Error)
	assert.Equal(t, 1, res.Tables[1].FilesAfter)
	require.Len(t, *notified, 1)
	assert.Contains(t, (*notified)[0].Error, "a.one")
}

func TestBadInputFailsFast(t *testing.T) {
	env, _ := newEnv(t)
	env.ExecuteWorkflow(contract.TableMaintenanceWorkflow, contract.MaintenanceConfig{Tables: []string{"orders"}})
	var ae *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &ae))
	assert.Equal(t, contract.ErrTypeValidation, ae.Type())
	assert.Contains(t, ae.Error(), "tables[0]")
}

func TestCancelStopsBetweenTables(t *testing.T) {
	env, _ := newEnv(t)
	env.OnActivity(contract.ActivityCompactIcebergTable, mock.Anything, mock.Anything).After(time.Hour).
		Return(contract.CompactionResult{FilesAfter: 1}, nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(contract.TableMaintenanceWorkflow, contract.MaintenanceConfig{Tables: []string{"a.one", "a.two"}})
	res := result(t, env)
	assert.Equal(t, contract.StatusCancelled, res.Status)
	assert.Len(t, res.Tables, 1)
}

func TestCancelSignalStopsBetweenTables(t *testing.T) {
	env, _ := newEnv(t)
	env.OnActivity(contract.ActivityCompactIcebergTable, mock.Anything, mock.Anything).After(time.Hour).
		Return(contract.CompactionResult{FilesAfter: 1}, nil)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(contract.SignalCancel, contract.CancelSignal{RequestedBy: "oncall", Reason: "catalog maintenance"})
	}, time.Minute)
	env.ExecuteWorkflow(contract.TableMaintenanceWorkflow, contract.MaintenanceConfig{Tables: []string{"a.one", "a.two"}})
	res := result(t, env)
	assert.Equal(t, contract.StatusCancelled, res.Status)
	assert.Len(t, res.Tables, 1)
}
