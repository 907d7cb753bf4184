package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignal(t *testing.T) {
	h := newHarness(t, testTokens(t))
	h.be.await("wf-1", h.now)
	const path = "/v1/pipelines/workflows/wf-1/signal"

	for body, field := range map[string]string{
		`{"name":"approval","data":{"reason":"x"}}`:                          "data.approved",
		`{"name":"approval","data":{"approved":"yes","reason":"x"}}`:         "data.approved",
		`{"name":"approval","data":{"approved":true}}`:                       "data.reason",
		`{"name":"approval","data":{"approved":true,"reason":"x","by":"x"}}`: "data.by",
		`{"name":"approval"}`:                               "data",
		`{"name":"pause","data":{}}`:                        "name",
		`{"name":"cancel","data":{"reason":" "}}`:           "data.reason",
		`{"name":"cancel","data":{"reason":"x"},"extra":1}`: "extra",
	} {
		w := h.do("POST", path, operateToken, body)
		assert.Equal(t, http.StatusBadRequest, w.Code, body)
		assertError(t, w, CodeBadRequest, field)
	}
	assert.Empty(t, h.be.signals, "nothing bad reached the workflow")

	reject := `{"name":"approval","data":{"approved":false,"reason":"too many nulls","approver":"mallory"}}`
	w := h.do("POST", path, operateToken, reject)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, []string{"approval wf-1 false by pipeline-service as pipeline-service: too many nulls"}, h.be.signals)
	assert.Equal(t, AuditEntry{Identity: "pipeline-service", Action: "reject", Workflow: "wf-1", Reason: "too many nulls"}, h.audit.last())

	w = h.do("POST", path, operateToken, approveBody)
	assert.Equal(t, http.StatusConflict, w.Code, "no approval awaited any more")
	assertError(t, w, CodeConflict, "")
	assert.Contains(t, w.Body.String(), "not awaiting approval")
	assert.Equal(t, "approve", h.audit.last().Action)
	assert.Error(t, h.audit.last().Err)

	w = h.do("POST", "/v1/pipelines/workflows/nope/signal", operateToken, approveBody)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assertError(t, w, CodeNotFound, "")

	w = h.do("POST", path, operateToken, `{"name":"cancel","data":{"reason":"wrong day","requested_by":"mallory"}}`)
	require.Equal(t, http.StatusAccepted, w.Code)
	assert.JSONEq(t, `{"workflowId":"wf-1","name":"cancel","requestedBy":"pipeline-service","status":"CANCEL_REQUESTED"}`, w.Body.String())
	assert.Contains(t, h.be.signals, "cancel wf-1 by pipeline-service as pipeline-service: wrong day")
}

func TestStatus(t *testing.T) {
	h := newHarness(t, testTokens(t))
	h.be.await("wf-1", time.Date(2026, 2, 12, 7, 0, 0, 0, time.UTC))
	w := h.do("GET", "/v1/pipelines/workflows/wf-1/status", readToken, "")
	require.Equal(t, http.StatusOK, w.Code)
	doc, _ := h.be.Status(t.Context(), "wf-1", "")
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(doc))
	assert.Equal(t, want.String(), w.Body.String(), "encoded as matih status -o json encodes")

	w = h.do("GET", "/v1/pipelines/workflows/nope/status", readToken, "")
	assert.Equal(t, http.StatusNotFound, w.Code)
	assertError(t, w, CodeNotFound, "")
	w = h.do("GET", "/v1/pipelines/workflows/wf-1/status?run=1", readToken, "")
	assertError(t, w, CodeBadRequest, "run")
	w = h.do("GET", "/v1/pipelines/workflows/%07bell/status", readToken, "")
	assertError(t, w, CodeBadRequest, "workflowId")

	h.be.down = true
	w = h.do("GET", "/v1/pipelines/workflows/wf-1/status", readToken, "")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "5", w.Header().Get("Retry-After"))
	w = h.do("GET", "/readyz", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assertError(t, w, CodeUnavailable, "")
	h.be.down = false
	assert.Equal(t, http.StatusOK, h.do("GET", "/readyz", "", "").Code, "recovers by itself")
}

func TestListAndApprovals(t *testing.T) {
	h := newHarness(t, testTokens(t))
	h.be.await("late", h.now.Add(3*time.Hour))
	h.be.await("soon", h.now.Add(time.Hour))
	h.be.await("decided", h.now)
	h.be.docs["decided"].Approval.Decided = true
	h.be.docs["other"] = h.be.docs["decided"]

	w := h.do("GET", "/v1/pipelines/workflows?status=running&type=DataPipelineWorkflow&pipeline_id=orders&pageSize=10", readToken, "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Len(t, decode[listAnswer](t, w).Workflows, 4)

	for q, field := range map[string]string{
		"status=sideways":    "status",
		"type=Shell":         "type",
		"pipeline_id=a'b":    "pipeline_id",
		"pageSize=0":         "pageSize",
		"pageSize=x":         "pageSize",
		"pageToken=***":      "pageToken",
		"limit=5":            "limit",
		"status=all&order=1": "order",
	} {
		w := h.do("GET", "/v1/pipelines/workflows?"+q, readToken, "")
		assert.Equal(t, http.StatusBadRequest, w.Code, q)
		assertError(t, w, CodeBadRequest, field)
	}

	w = h.do("GET", PathApprovals, readToken, "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := decode[approvalsAnswer](t, w).Approvals
	require.Len(t, got, 2, "decided runs are not waiting")
	assert.Equal(t, "soon", got[0].WorkflowID)
	assert.Equal(t, "late", got[1].WorkflowID)
	require.NotNil(t, got[0].MinScore)
	assert.Equal(t, 0.9, *got[0].MinScore)

	// A run whose workflow did not answer its status query stays listed, first,
	// with its deadline and minimum score absent rather than invented.
	late := h.be.docs["late"]
	late.Approval = nil
	h.be.docs["late"] = late
	w = h.do("GET", PathApprovals, readToken, "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got = decode[approvalsAnswer](t, w).Approvals
	require.Len(t, got, 2)
	assert.Equal(t, "late", got[0].WorkflowID)
	assert.Nil(t, got[0].Deadline)
	assert.Nil(t, got[0].MinScore)
	assert.NotNil(t, got[1].Deadline)
}

func TestRoutingErrorsAndMetrics(t *testing.T) {
	h := newHarness(t, testTokens(t))
	w := h.do("DELETE", "/v1/pipelines/workflows/wf-1/status", readToken, "")
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, "GET", w.Header().Get("Allow"))
	assertError(t, w, CodeMethodNotAllowed, "")
	w = h.do("GET", "/v1/nothing", readToken, "")
	assert.Equal(t, http.StatusNotFound, w.Code)
	assertError(t, w, CodeNotFound, "")
	assert.Equal(t, http.StatusOK, h.do("GET", "/healthz", "", "").Code)

	w = h.do("GET", "/metrics", "", "")
	require.Equal(t, http.StatusOK, w.Code)
	m := w.Body.String()
	assert.Contains(t, m, `matih_api_requests_total{code="405",method="DELETE",route="/v1/pipelines/workflows/{workflowId}/status"} 1`)
	assert.Contains(t, m, `matih_api_requests_total{code="404",method="GET",route="unmatched"} 1`)
	assert.Contains(t, m, `matih_api_request_duration_seconds_bucket{code="200",method="GET",route="/healthz"`)
	assert.NotContains(t, m, "wf-1", "raw paths never become label values")
	assert.True(t, strings.Contains(m, "go_goroutines"))
}
