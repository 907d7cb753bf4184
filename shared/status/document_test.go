package status

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDocumentUsesTheSeedsFieldNames(t *testing.T) {
	start := time.Date(2026, 2, 12, 6, 7, 0, 0, time.UTC)
	d := Document{WorkflowID: "wf-daily-sales-etl-2026-02-12", RunID: "run-456", Status: "RUNNING",
		StartedAt: start, CurrentActivity: "trigger_airflow_dag", Progress: 0.6,
		Activities: []Activity{
			{Name: "extract_data", Status: ActivityCompleted, Duration: FormatDuration(5*time.Minute + 23*time.Second)},
			{Name: "trigger_airflow_dag", Status: ActivityRunning, StartedAt: &start},
		},
		PendingSignals: []string{}}
	b, err := json.Marshal(d)
	require.NoError(t, err)
	for _, f := range []string{`"workflowId":"wf-daily-sales-etl-2026-02-12"`, `"runId":"run-456"`, `"status":"RUNNING"`,
		`"startedAt":"2026-02-12T06:07:00Z"`, `"currentActivity":"trigger_airflow_dag"`, `"progress":0.6`,
		`"duration":"5m 23s"`, `"retries":0`, `"pendingSignals":[]`} {
		assert.Contains(t, string(b), f)
	}
}

func TestFormatDuration(t *testing.T) {
	assert.Equal(t, "12s", FormatDuration(12*time.Second))
	assert.Equal(t, "1m 12s", FormatDuration(72*time.Second))
	assert.Equal(t, "2h 5m", FormatDuration(2*time.Hour+5*time.Minute+9*time.Second))
}
