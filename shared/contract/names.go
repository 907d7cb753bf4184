// Package contract holds the names and payloads every MATIH module speaks on the
// wire. The existing Python pipeline service uses the same names, so they never change
// without a migration plan.
package contract

// Connection defaults.
const (
	DefaultNamespace = "matih-pipelines"
	DefaultAddress   = "localhost:7233"
)

// Task queues, one per worker process.
const (
	PipelineQueue = "pipeline-workers"
	InfraQueue    = "infra-workers"
	NotifyQueue   = "notify-workers"
)

// Workflow types.
const (
	DataPipelineWorkflow     = "DataPipelineWorkflow"
	DataBackfillWorkflow     = "DataBackfillWorkflow"
	SchemaMigrationWorkflow  = "SchemaMigrationWorkflow"
	TableMaintenanceWorkflow = "TableMaintenanceWorkflow"
	// NotificationDeliveryWorkflow (queue notify-workers) delivers one notification
	// for a run that may already have closed; see shared/notifications.
	NotificationDeliveryWorkflow = "NotificationDeliveryWorkflow"
)

// DeliveryNamespaceDivision is the TemporalNamespaceDivision search attribute every
// NotificationDeliveryWorkflow is started with. Temporal leaves a division's
// workflows out of every list and count whose query does not name
// TemporalNamespaceDivision (so its own schedule workflows stay out of sight): the
// console, matih ls, the stock CLI and the Web UI hide deliveries without a filter
// of their own. DeliveriesQuery lists them.
const DeliveryNamespaceDivision = "matih-notifications"

// DeliveriesQuery is the visibility query that lists notification deliveries.
const DeliveriesQuery = "TemporalNamespaceDivision = '" + DeliveryNamespaceDivision +
	"' AND WorkflowType = '" + NotificationDeliveryWorkflow + "'"

// Activity names, registered explicitly under these snake_case names.
const (
	ActivityExtractData       = "extract_data"
	ActivityValidateQuality   = "validate_quality"
	ActivityTriggerAirflowDAG = "trigger_airflow_dag"
	ActivityLoadToIceberg     = "load_to_iceberg"
	ActivityProcessPartition  = "process_partition"
	// ActivityDeleteStaging removes a finished run's staged files, whatever its outcome.
	ActivityDeleteStaging = "delete_staging"

	ActivityValidateMigration      = "validate_migration"
	ActivityCreateBackup           = "create_backup"
	ActivityApplyMigration         = "apply_migration"
	ActivityValidatePostMigration  = "validate_post_migration"
	ActivityRestoreBackup          = "restore_backup"
	ActivityCompactIcebergTable    = "compact_iceberg_table"
	ActivityExpireIcebergSnapshots = "expire_iceberg_snapshots"

	ActivityNotifyQualityIssue       = "notify_quality_issue"
	ActivityNotifyPipelineCompletion = "notify_pipeline_completion"
	ActivityNotifyFailure            = "notify_failure"
)

// Signals, updates and queries.
const (
	SignalApproval = "approval"
	UpdateApproval = "approval"
	SignalCancel   = "cancel"
	SignalPause    = "pause"
	SignalResume   = "resume"
	QueryStatus    = "status"
	QueryProgress  = "progress"
	// SignalDeliveryWaiter asks a NotificationDeliveryWorkflow to signal back
	// SignalDeliveryDone, to the workflow id it carries, once it has delivered: a
	// run's next notification waits for its previous one.
	SignalDeliveryWaiter = "delivery-waiter"
	SignalDeliveryDone   = "delivery-done"
)

// Custom search attributes, registered by scripts/dev.sh.
const (
	SearchAttrPipelineID    = "PipelineId"
	SearchAttrPipelinePhase = "PipelinePhase"
	SearchAttrProgress      = "Progress"
	SearchAttrQualityScore  = "QualityScore"
)

// SearchAttributeTypes maps each custom search attribute to its Temporal type, in the
// form `temporal operator search-attribute create` and `server start-dev` accept.
var SearchAttributeTypes = map[string]string{
	SearchAttrPipelineID:    "Keyword",
	SearchAttrPipelinePhase: "Keyword",
	SearchAttrProgress:      "Double",
	SearchAttrQualityScore:  "Double",
}

// Phases a workflow reports through the PipelinePhase search attribute.
const (
	PhaseStarting            = "STARTING"
	PhaseExtracting          = "EXTRACTING"
	PhaseValidating          = "VALIDATING_QUALITY"
	PhaseAwaitingApproval    = "AWAITING_APPROVAL"
	PhaseTransforming        = "TRANSFORMING"
	PhaseLoading             = "LOADING"
	PhaseProcessing          = "PROCESSING_PARTITIONS"
	PhasePaused              = "PAUSED"
	PhaseMigrating           = "MIGRATING"
	PhaseRollingBack         = "ROLLING_BACK"
	PhaseValidatingMigration = "VALIDATING_MIGRATION"
	PhaseBackingUp           = "BACKING_UP"
	PhasePostValidating      = "POST_VALIDATING"
	PhaseRolledBack          = "ROLLED_BACK"
	PhaseMaintaining         = "MAINTAINING"
	PhaseCompleted           = "COMPLETED"
	PhaseCancelled           = "CANCELLED"
	PhaseFailed              = "FAILED"
)

// Result statuses.
const (
	StatusCompleted  = "COMPLETED"
	StatusCancelled  = "CANCELLED"
	StatusFailed     = "FAILED"
	StatusRolledBack = "ROLLED_BACK"
)

// Severities used for notification routing.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Defaults from the seed's server configuration.
const (
	DefaultActivityConcurrency = 10
)
