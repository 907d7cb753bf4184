package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scrape(t *testing.T, reg *prometheus.Registry) string {
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	return rec.Body.String()
}

func TestHandlerExposesSDKAndSeedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := NewHandler(reg)
	// An SDK-style metric, with the tags the SDK adds.
	sdk := h.WithTags(map[string]string{"namespace": "matih-pipelines", "task_queue": "pipeline-workers"})
	sdk.Counter("temporal_request").Inc(2)
	sdk.Timer("temporal_activity_execution_latency").Record(1500 * time.Millisecond)
	sdk.Gauge("temporal_worker_task_slots_available").Update(10)

	wf := sdk.WithTags(map[string]string{"workflow_type": "DataPipelineWorkflow"})
	wf.Counter(WorkflowStarted).Inc(1)
	wf.Counter(WorkflowCompleted).Inc(1)
	wf.Timer(WorkflowDuration).Record(time.Minute)
	act := sdk.WithTags(map[string]string{"activity_type": "extract_data"})
	act.Counter(ActivityRetries).Inc(1)
	act.Timer(ActivityExecution).Record(time.Second)
	// The same name with fewer tags fills the missing label rather than panicking.
	h.Counter("temporal_request").Inc(1)
	// Seed-style dotted names are mapped to Prometheus names.
	h.Counter("temporal.workflow.custom").Inc(1)

	out := scrape(t, reg)
	for _, want := range []string{
		`temporal_request{namespace="matih-pipelines",task_queue="pipeline-workers"} 2`,
		`temporal_request{namespace="",task_queue=""} 1`,
		`temporal_activity_execution_latency_bucket{namespace="matih-pipelines",task_queue="pipeline-workers",le="2.5"} 1`,
		`temporal_worker_task_slots_available{namespace="matih-pipelines",task_queue="pipeline-workers"} 10`,
		`matih_workflow_started{namespace="matih-pipelines",task_queue="pipeline-workers",workflow_type="DataPipelineWorkflow"} 1`,
		`matih_workflow_completed{namespace="matih-pipelines",task_queue="pipeline-workers",workflow_type="DataPipelineWorkflow"} 1`,
		`matih_workflow_duration_sum{namespace="matih-pipelines",task_queue="pipeline-workers",workflow_type="DataPipelineWorkflow"} 60`,
		`matih_activity_retries{activity_type="extract_data",namespace="matih-pipelines",task_queue="pipeline-workers"} 1`,
		`matih_activity_execution_count{activity_type="extract_data",namespace="matih-pipelines",task_queue="pipeline-workers"} 1`,
		`temporal_workflow_custom 1`,
		"# TYPE matih_workflow_duration histogram",
		"# TYPE matih_workflow_started counter",
	} {
		assert.True(t, strings.Contains(out, want), "missing %q in:\n%s", want, out)
	}
}

func TestTwoHandlersShareOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := NewHandler(reg), NewHandler(reg)
	a.Counter("x_total").Inc(1)
	assert.NotPanics(t, func() { b.Counter("x_total").Inc(1) })
}
