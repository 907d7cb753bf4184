package retry

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/contract"
)

// The seed's "Retry Strategies by Activity Type" table, typed in again by hand.
func TestTableEqualsSeed(t *testing.T) {
	seed := map[Kind]Policy{
		KindExtraction:    {3, 30 * time.Second, 10 * time.Minute, 2.0},
		KindQuality:       {2, 10 * time.Second, 5 * time.Minute, 2.0},
		KindAirflow:       {3, 60 * time.Second, 15 * time.Minute, 2.0},
		KindLoading:       {3, 30 * time.Second, 10 * time.Minute, 2.0},
		KindNotification:  {5, 5 * time.Second, 1 * time.Minute, 1.5},
		KindBackupRestore: {2, 60 * time.Second, 5 * time.Minute, 2.0},
		KindDefault:       {5, 10 * time.Second, 5 * time.Minute, 2.0},
	}
	assert.Equal(t, seed, Table)
	p := Table[KindDefault].Temporal()
	assert.ElementsMatch(t, []string{"ValidationError", "PermissionDeniedError", "SchemaConflictError"}, p.NonRetryableErrorTypes)
}

func TestActivityOptionsFollowTheSeed(t *testing.T) {
	cases := []struct {
		activity string
		queue    string
		timeout  time.Duration
		attempts int32
	}{
		{contract.ActivityExtractData, contract.PipelineQueue, time.Hour, 3},
		{contract.ActivityValidateQuality, contract.PipelineQueue, 30 * time.Minute, 2},
		{contract.ActivityTriggerAirflowDAG, contract.PipelineQueue, 2 * time.Hour, 3},
		{contract.ActivityLoadToIceberg, contract.PipelineQueue, time.Hour, 3},
		{contract.ActivityProcessPartition, contract.PipelineQueue, time.Hour, 3},
		{contract.ActivityNotifyFailure, contract.NotifyQueue, 5 * time.Minute, 5},
		{contract.ActivityCreateBackup, contract.InfraQueue, time.Hour, 2},
		{contract.ActivityRestoreBackup, contract.InfraQueue, time.Hour, 2},
		{contract.ActivityApplyMigration, contract.InfraQueue, time.Hour, 5},
	}
	for _, c := range cases {
		o := ActivityOptions(c.activity)
		assert.Equal(t, c.queue, o.TaskQueue, c.activity)
		assert.Equal(t, c.timeout, o.StartToCloseTimeout, c.activity)
		assert.Equal(t, c.attempts, o.RetryPolicy.MaximumAttempts, c.activity)
	}
	assert.NotZero(t, ActivityOptions(contract.ActivityExtractData).HeartbeatTimeout, "long activities heartbeat")
	// Every step of a migration or of table maintenance runs statements, scans or
	// rewrites the table, so a killed worker must be noticed in seconds, not at the
	// start-to-close timeout.
	for _, a := range []string{contract.ActivityValidateMigration, contract.ActivityCreateBackup, contract.ActivityApplyMigration,
		contract.ActivityValidatePostMigration, contract.ActivityRestoreBackup, contract.ActivityCompactIcebergTable,
		contract.ActivityExpireIcebergSnapshots} {
		assert.Equal(t, heartbeatTimeout, ActivityOptions(a).HeartbeatTimeout, a)
	}
	// process_partition uses the seed backfill policy: 3 attempts, 30 s, 10 min, 2.0.
	pp := ActivityOptions(contract.ActivityProcessPartition).RetryPolicy
	assert.Equal(t, 30*time.Second, pp.InitialInterval)
	assert.Equal(t, 10*time.Minute, pp.MaximumInterval)
}

func TestClassifyMakesTypedErrorsNonRetryable(t *testing.T) {
	wrapped := fmt.Errorf("extract: %w", contract.Invalid("source.query", "a SELECT"))
	err := Classify(wrapped)
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	assert.Equal(t, "ValidationError", app.Type())
	assert.True(t, app.NonRetryable())

	err = Classify(&contract.PermissionDeniedError{System: "airflow", Detail: "401"})
	require.True(t, errors.As(err, &app))
	assert.Equal(t, "PermissionDeniedError", app.Type())

	plain := errors.New("connection reset")
	assert.Same(t, plain, Classify(plain))
}
