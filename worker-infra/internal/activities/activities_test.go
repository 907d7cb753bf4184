package activities

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

func env(a *Activities) *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	e := s.NewTestActivityEnvironment()
	a.Register(registry{e})
	return e
}

// registry adapts the activity test environment to worker.ActivityRegistry.
type registry struct {
	e *testsuite.TestActivityEnvironment
}

func (r registry) RegisterActivity(fn any) { r.e.RegisterActivity(fn) }
func (r registry) RegisterActivityWithOptions(fn any, o activity.RegisterOptions) {
	r.e.RegisterActivityWithOptions(fn, o)
}
func (r registry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}

func appErr(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "want an application error, got %v", err)
	return ae
}

func TestBadInputIsNonRetryable(t *testing.T) {
	e := env(&Activities{Postgres: NewPostgres(nil)})
	_, err := e.ExecuteActivity(contract.ActivityValidateMigration, contract.MigrationConfig{
		MigrationID: "m1", Target: contract.TargetPostgres, DSN: "postgres://u:secret@h/db", Table: "t", Statements: []string{"x"},
	})
	ae := appErr(t, err)
	assert.Equal(t, contract.ErrTypeValidation, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.NotContains(t, err.Error(), "secret", "the password never shows up in errors")
}

func TestUnservedTargetIsRefused(t *testing.T) {
	e := env(&Activities{Postgres: NewPostgres(nil)})
	_, err := e.ExecuteActivity(contract.ActivityCreateBackup, contract.MigrationConfig{MigrationID: "m1", Target: contract.TargetIceberg, Table: "a.b"})
	ae := appErr(t, err)
	assert.Equal(t, contract.ErrTypeValidation, ae.Type())
	assert.Contains(t, err.Error(), "target")
}

func TestADSNInTheInputIsRefusedAndAnUnknownConnectionNamed(t *testing.T) {
	e := env(&Activities{Postgres: NewPostgres(testkit.Connections(t, testkit.MigrateConn("sales", "postgres://u@127.0.0.1:1/db")))})
	_, err := e.ExecuteActivity(contract.ActivityApplyMigration, contract.MigrationConfig{
		MigrationID: "m1", Target: contract.TargetPostgres, DSN: "postgres://u@127.0.0.1:1/db", Table: "t", Statements: []string{"ALTER TABLE t ADD COLUMN x int"},
	})
	ae := appErr(t, err)
	assert.Equal(t, contract.ErrTypeValidation, ae.Type())
	assert.Contains(t, err.Error(), "not accepted from workflow input")
	_, err = e.ExecuteActivity(contract.ActivityApplyMigration, contract.MigrationConfig{
		MigrationID: "m1", Target: contract.TargetPostgres, Connection: "billing", Table: "t", Statements: []string{"ALTER TABLE t ADD COLUMN x int"},
	})
	assert.Contains(t, appErr(t, err).Error(), `invalid connection: a connection defined in this worker's configuration (sales), got "billing"`)
}

func TestUnreachableDatabaseIsRetryable(t *testing.T) {
	e := env(&Activities{Postgres: NewPostgres(testkit.Connections(t, testkit.MigrateConn("down", "postgres://u@127.0.0.1:1/db?connect_timeout=2")))})
	_, err := e.ExecuteActivity(contract.ActivityApplyMigration, contract.MigrationConfig{
		MigrationID: "m1", Target: contract.TargetPostgres, Connection: "down", Table: "t", Statements: []string{"ALTER TABLE t ADD COLUMN x int"},
	})
	ae := appErr(t, err)
	assert.False(t, ae.NonRetryable(), "a connection failure is retried: %v", err)
}

func TestCompactionNeedsACatalogAndAQualifiedTable(t *testing.T) {
	e := env(&Activities{})
	_, err := e.ExecuteActivity(contract.ActivityCompactIcebergTable, contract.CompactionRequest{Table: "orders"})
	assert.Equal(t, contract.ErrTypeValidation, appErr(t, err).Type())
}

// fakeTables counts the maintenance calls that reached the catalog.
type fakeTables struct{ calls int }

func (f *fakeTables) Compact(_ context.Context, _ contract.CompactionRequest) (contract.CompactionResult, error) {
	f.calls++
	return contract.CompactionResult{}, nil
}

func (f *fakeTables) Expire(_ context.Context, _ contract.ExpiryRequest) (contract.CompactionResult, error) {
	f.calls++
	return contract.CompactionResult{}, nil
}

// A table outside --iceberg-namespaces is refused before the catalog is touched,
// by maintenance and by Iceberg migrations alike.
func TestATableOutsideTheAllowedNamespacesIsRefused(t *testing.T) {
	allowed, err := contract.ParseAllowList("--iceberg-namespaces", "analytics,lake_*")
	require.NoError(t, err)
	tables := &fakeTables{}
	e := env(&Activities{Tables: tables, Postgres: NewPostgres(nil), Namespaces: allowed})
	_, err = e.ExecuteActivity(contract.ActivityCompactIcebergTable, contract.CompactionRequest{Table: "finance.payroll"})
	ae := appErr(t, err)
	assert.Equal(t, contract.ErrTypeValidation, ae.Type())
	assert.Contains(t, err.Error(), "analytics,lake_*")
	_, err = e.ExecuteActivity(contract.ActivityExpireIcebergSnapshots, contract.ExpiryRequest{Table: "finance.payroll"})
	appErr(t, err)
	_, err = e.ExecuteActivity(contract.ActivityCreateBackup, contract.MigrationConfig{MigrationID: "m1", Target: contract.TargetIceberg, Table: "finance.payroll"})
	assert.Contains(t, appErr(t, err).Error(), "a table in a namespace this worker writes")
	assert.Zero(t, tables.calls)

	_, err = e.ExecuteActivity(contract.ActivityCompactIcebergTable, contract.CompactionRequest{Table: "lake_raw.clicks"})
	require.NoError(t, err)
	assert.Equal(t, 1, tables.calls)
}
