package statusapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

func twoSteps(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	if err := workflow.ExecuteActivity(ctx, "extract_data").Get(ctx, &out); err != nil {
		return "", err
	}
	return out, workflow.ExecuteActivity(ctx, "load_to_iceberg").Get(ctx, &out)
}

func get(t *testing.T, srv *httptest.Server, path string) (int, map[string]any) {
	resp, err := http.Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func TestStatusDocumentOverHTTP(t *testing.T) {
	dev := testkit.StartDevServer(t)
	w := worker.New(dev.Client, "api-test", worker.Options{})
	w.RegisterWorkflowWithOptions(twoSteps, workflow.RegisterOptions{Name: "TwoSteps"})
	for _, name := range []string{"extract_data", "load_to_iceberg"} {
		w.RegisterActivityWithOptions(func(context.Context) (string, error) { return "ok", nil }, activity.RegisterOptions{Name: name})
	}
	require.NoError(t, w.Start())
	defer w.Stop()
	run, err := dev.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "wf-daily-sales-etl-2026-02-12", TaskQueue: "api-test"}, "TwoSteps")
	require.NoError(t, err)
	require.NoError(t, run.Get(context.Background(), nil))

	srv := httptest.NewServer(Handler(dev.Client))
	defer srv.Close()
	code, body := get(t, srv, "/v1/pipelines/workflows/wf-daily-sales-etl-2026-02-12/status")
	require.Equal(t, http.StatusOK, code, "%v", body)
	assert.Equal(t, "wf-daily-sales-etl-2026-02-12", body["workflowId"])
	assert.Equal(t, run.GetRunID(), body["runId"])
	assert.Equal(t, status.WorkflowCompleted, body["status"])
	assert.Contains(t, body, "startedAt")
	assert.Contains(t, body, "pendingSignals")
	acts := body["activities"].([]any)
	require.Len(t, acts, 2)
	assert.Equal(t, "extract_data", acts[0].(map[string]any)["name"])
	assert.Equal(t, "COMPLETED", acts[1].(map[string]any)["status"])

	code, body = get(t, srv, "/v1/pipelines/workflows/no-such-run/status")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body["error"], "no-such-run")

	code, _ = get(t, srv, "/v1/pipelines/workflows/x/other")
	assert.Equal(t, http.StatusNotFound, code)
	resp, err := http.Post(srv.URL+"/v1/pipelines/workflows/x/status", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "the API only reads")
}
