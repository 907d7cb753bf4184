// Package retry holds the seed's retry table as data and the activity options every
// workflow uses, so retries and timeouts are decided in one place.
package retry

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

// Kind groups activities that share a retry strategy (the seed's "activity type").
type Kind string

// The seed's activity types.
const (
	KindDefault       Kind = "default"
	KindExtraction    Kind = "data_extraction"
	KindQuality       Kind = "quality_validation"
	KindAirflow       Kind = "airflow_dag_trigger"
	KindLoading       Kind = "data_loading"
	KindNotification  Kind = "notifications"
	KindBackupRestore Kind = "backup_restore"
)

// Policy is one row of the retry table.
type Policy struct {
	MaxAttempts     int32
	InitialInterval time.Duration
	MaxInterval     time.Duration
	Backoff         float64
}

// NonRetryable are the error types no policy retries.
var NonRetryable = []string{
	contract.ErrTypeValidation,
	contract.ErrTypePermissionDenied,
	contract.ErrTypeSchemaConflict,
}

// Table is the seed's "Retry Strategies by Activity Type", plus its default policy.
var Table = map[Kind]Policy{
	KindDefault:       {5, 10 * time.Second, 5 * time.Minute, 2.0},
	KindExtraction:    {3, 30 * time.Second, 10 * time.Minute, 2.0},
	KindQuality:       {2, 10 * time.Second, 5 * time.Minute, 2.0},
	KindAirflow:       {3, 60 * time.Second, 15 * time.Minute, 2.0},
	KindLoading:       {3, 30 * time.Second, 10 * time.Minute, 2.0},
	KindNotification:  {5, 5 * time.Second, 1 * time.Minute, 1.5},
	KindBackupRestore: {2, 60 * time.Second, 5 * time.Minute, 2.0},
}

// Temporal converts the row to the SDK's retry policy.
func (p Policy) Temporal() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        p.InitialInterval,
		BackoffCoefficient:     p.Backoff,
		MaximumInterval:        p.MaxInterval,
		MaximumAttempts:        p.MaxAttempts,
		NonRetryableErrorTypes: append([]string(nil), NonRetryable...),
	}
}

// spec is how one activity runs: its queue, kind and timeouts.
type spec struct {
	queue     string
	kind      Kind
	timeout   time.Duration
	heartbeat time.Duration
}

// heartbeatTimeout is short enough that a killed worker's activity is retried within
// a minute, long enough for a slow heartbeat under load.
const heartbeatTimeout = 30 * time.Second

var specs = map[string]spec{
	contract.ActivityExtractData:       {contract.PipelineQueue, KindExtraction, time.Hour, heartbeatTimeout},
	contract.ActivityValidateQuality:   {contract.PipelineQueue, KindQuality, 30 * time.Minute, heartbeatTimeout},
	contract.ActivityTriggerAirflowDAG: {contract.PipelineQueue, KindAirflow, 2 * time.Hour, heartbeatTimeout},
	contract.ActivityLoadToIceberg:     {contract.PipelineQueue, KindLoading, time.Hour, heartbeatTimeout},
	contract.ActivityProcessPartition:  {contract.PipelineQueue, KindExtraction, time.Hour, heartbeatTimeout},
	contract.ActivityDeleteStaging:     {contract.PipelineQueue, KindDefault, 10 * time.Minute, heartbeatTimeout},

	contract.ActivityValidateMigration:      {contract.InfraQueue, KindDefault, 10 * time.Minute, heartbeatTimeout},
	contract.ActivityCreateBackup:           {contract.InfraQueue, KindBackupRestore, time.Hour, heartbeatTimeout},
	contract.ActivityApplyMigration:         {contract.InfraQueue, KindDefault, time.Hour, heartbeatTimeout},
	contract.ActivityValidatePostMigration:  {contract.InfraQueue, KindDefault, 30 * time.Minute, heartbeatTimeout},
	contract.ActivityRestoreBackup:          {contract.InfraQueue, KindBackupRestore, time.Hour, heartbeatTimeout},
	contract.ActivityCompactIcebergTable:    {contract.InfraQueue, KindDefault, 2 * time.Hour, heartbeatTimeout},
	contract.ActivityExpireIcebergSnapshots: {contract.InfraQueue, KindDefault, 30 * time.Minute, heartbeatTimeout},

	contract.ActivityNotifyQualityIssue:       {contract.NotifyQueue, KindNotification, 5 * time.Minute, heartbeatTimeout},
	contract.ActivityNotifyPipelineCompletion: {contract.NotifyQueue, KindNotification, 5 * time.Minute, heartbeatTimeout},
	contract.ActivityNotifyFailure:            {contract.NotifyQueue, KindNotification, 5 * time.Minute, heartbeatTimeout},
}

// KindOf tells which retry row an activity uses.
func KindOf(activity string) Kind {
	if s, ok := specs[activity]; ok {
		return s.kind
	}
	return KindDefault
}

// PolicyFor returns the retry policy of an activity.
func PolicyFor(activity string) *temporal.RetryPolicy {
	return Table[KindOf(activity)].Temporal()
}

// ActivityOptions returns the options a workflow uses to call an activity by name: its
// owner's task queue, the seed's timeout, a heartbeat timeout for long work and the
// retry policy of its kind.
func ActivityOptions(activity string) workflow.ActivityOptions {
	s, ok := specs[activity]
	if !ok {
		s = spec{kind: KindDefault, timeout: 10 * time.Minute}
	}
	return workflow.ActivityOptions{
		TaskQueue:           s.queue,
		StartToCloseTimeout: s.timeout,
		HeartbeatTimeout:    s.heartbeat,
		RetryPolicy:         Table[s.kind].Temporal(),
		WaitForCancellation: true,
	}
}

// WithActivityOptions is shorthand for a context that calls `activity`.
func WithActivityOptions(ctx workflow.Context, activity string) workflow.Context {
	return workflow.WithActivityOptions(ctx, ActivityOptions(activity))
}

// Classify turns our typed errors into non-retryable application errors of the right
// type, even when they were wrapped; other errors pass through and are retried.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var ve *contract.ValidationError
	var pe *contract.PermissionDeniedError
	var se *contract.SchemaConflictError
	switch {
	case errors.As(err, &ve):
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeValidation, err)
	case errors.As(err, &pe):
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypePermissionDenied, err)
	case errors.As(err, &se):
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeSchemaConflict, err)
	}
	return err
}
