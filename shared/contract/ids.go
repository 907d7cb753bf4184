package contract

import (
	"fmt"
	"time"
)

// isoLayout matches Python's datetime.utcnow().isoformat(), which the existing
// pipeline service uses in its workflow IDs.
const isoLayout = "2006-01-02T15:04:05.000000"

// PipelineWorkflowID is `pipeline-{pipeline_id}-{UTC ISO timestamp}`.
func PipelineWorkflowID(pipelineID string, at time.Time) string {
	return fmt.Sprintf("pipeline-%s-%s", pipelineID, at.UTC().Format(isoLayout))
}

// BackfillWorkflowID is `backfill-{pipeline_id}-{UTC ISO timestamp}`.
func BackfillWorkflowID(pipelineID string, at time.Time) string {
	return fmt.Sprintf("backfill-%s-%s", pipelineID, at.UTC().Format(isoLayout))
}

// MigrationWorkflowID is `migration-{migration_id}`: one workflow per migration, so a
// second start of the same migration is refused by Temporal itself.
func MigrationWorkflowID(migrationID string) string {
	return "migration-" + migrationID
}

// MaintenanceWorkflowID is `maintenance-{UTC ISO timestamp}`.
func MaintenanceWorkflowID(at time.Time) string {
	return "maintenance-" + at.UTC().Format(isoLayout)
}
