package contract

import (
	"fmt"
	"strings"
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

// MaxWorkflowIDLength is the Temporal server's default limit.maxIDLength: no
// longer id can name a workflow, so none is taken as one.
const MaxWorkflowIDLength = 1000

// deliveryMark separates a run's id from a notification's number.
const deliveryMark = ".notify-"

// DeliveryWorkflowID is `{run id}.notify-{n}`, the NotificationDeliveryWorkflow of
// a run's n-th notification: a replay starts nothing twice, and two runs of one
// workflow id never collide.
func DeliveryWorkflowID(runID string, n int) string {
	return fmt.Sprintf("%s%s%d", runID, deliveryMark, n)
}

// IsDeliveryWorkflowID tells whether id has the form DeliveryWorkflowID gives: a
// non-empty run id, the mark, and a number of decimal digits.
func IsDeliveryWorkflowID(id string) bool {
	i := strings.LastIndex(id, deliveryMark)
	if i <= 0 || len(id) > MaxWorkflowIDLength {
		return false
	}
	n := id[i+len(deliveryMark):]
	if n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
