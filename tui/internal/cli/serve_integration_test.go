package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/data"
)

// testApp is an App with its global flags parsed as `matih --address ... ` would.
func testApp(t testing.TB, address, namespace, auditPath string) *App {
	a := &App{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, In: strings.NewReader(""), Identity: "tester@host"}
	root := a.Root()
	root.SetArgs([]string{"--address", address, "--namespace", namespace, "--audit-log", auditPath, "version"})
	root.SetOut(io.Discard)
	require.NoError(t, root.Execute())
	t.Cleanup(a.Close)
	return a
}

// call sends one request to the API and returns the code and the body.
func call(t *testing.T, method, url, token, body string, headers ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// TestServeDrivesARunOverHTTP runs `matih serve` itself against a dev server and the
// real pipeline worker: execute, wait for approval, 403 for a read token,
// approve as the token's name, and the status body byte for byte `matih status -o json`.
func TestServeDrivesARunOverHTTP(t *testing.T) {
	srv := testkit.StartDevServer(t)
	testkit.StartPipelineWorker(t, srv)
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	a := testApp(t, srv.HostPort, srv.Namespace, auditPath)
	base, shutdown := startServe(t, a, serveFlags{tokens: writeTokens(t), pipelines: writePipelines(t, map[string]string{"sales.yaml": lowQuality})})

	code, _ := call(t, "POST", base+"/v1/pipelines/sales/execute", serveReadToken, "")
	assert.Equal(t, http.StatusForbidden, code)
	code, body := call(t, "POST", base+"/v1/pipelines/sales/execute", serveOperateToken, `{"approval_timeout":"30m"}`, "Idempotency-Key", "run-1")
	require.Equal(t, http.StatusAccepted, code, string(body))
	var started struct{ WorkflowID, RunID, Status string }
	require.NoError(t, json.Unmarshal(body, &started))
	assert.True(t, strings.HasPrefix(started.WorkflowID, "pipeline-sales-"), started.WorkflowID)
	assert.NotEmpty(t, started.RunID)
	code, again := call(t, "POST", base+"/v1/pipelines/sales/execute", serveOperateToken, `{"approval_timeout":"30m"}`, "Idempotency-Key", "run-1")
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, string(body), string(again), "a retried start answers the first")

	id := started.WorkflowID
	statusURL := base + "/v1/pipelines/workflows/" + id + "/status"
	var doc status.Document
	require.Eventually(t, func() bool {
		_, b := call(t, "GET", statusURL, serveReadToken, "")
		return json.Unmarshal(b, &doc) == nil && doc.Phase == contract.PhaseAwaitingApproval
	}, 20*time.Second, 200*time.Millisecond)
	require.NotNil(t, doc.Approval)
	assert.WithinDuration(t, time.Now().Add(30*time.Minute), doc.Approval.Deadline, time.Minute, "the override reached the run")

	code, body = call(t, "GET", base+"/v1/approvals", serveReadToken, "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), id)
	require.Eventually(t, func() bool {
		_, b := call(t, "GET", base+"/v1/pipelines/workflows?status=awaiting&pipeline_id=sales&type=DataPipelineWorkflow", serveReadToken, "")
		return strings.Contains(string(b), id)
	}, 10*time.Second, 200*time.Millisecond, "visibility lists the run")

	approve := `{"name":"approval","data":{"approved":true,"reason":"known gap","approver":"someone-else"}}`
	code, _ = call(t, "POST", base+"/v1/pipelines/workflows/"+id+"/signal", serveReadToken, approve)
	assert.Equal(t, http.StatusForbidden, code)
	code, body = call(t, "POST", base+"/v1/pipelines/workflows/"+id+"/signal", serveOperateToken, approve)
	require.Equal(t, http.StatusOK, code, string(body))
	code, body = call(t, "POST", base+"/v1/pipelines/workflows/"+id+"/signal", serveOperateToken, approve)
	assert.Equal(t, http.StatusConflict, code, "no approval awaited any more: %s", body)

	r := matih(t, &testkit.DevServer{HostPort: srv.HostPort, Namespace: srv.Namespace}, auditPath, "watch", id)
	require.Equal(t, ExitOK, r.code, r.stder)
	code, apiDoc := call(t, "GET", statusURL, serveReadToken, "")
	require.Equal(t, http.StatusOK, code)
	r = matih(t, &testkit.DevServer{HostPort: srv.HostPort, Namespace: srv.Namespace}, auditPath, "-o", "json", "status", id)
	require.Equal(t, ExitOK, r.code)
	assert.Equal(t, r.stdout, string(apiDoc), "the API's status is byte for byte matih status -o json")
	require.NoError(t, json.Unmarshal(apiDoc, &doc))
	var res contract.PipelineResult
	require.NoError(t, json.Unmarshal(doc.Result, &res))
	assert.Equal(t, "pipeline-service", res.Approver, "the token's name, whatever the body said")

	code, body = call(t, "GET", base+"/v1/pipelines/workflows/no-such-run/status", serveReadToken, "")
	assert.Equal(t, http.StatusNotFound, code, string(body))
	lines, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.Contains(t, string(lines), `"identity":"pipeline-service","action":"approve","workflow":"`+id+`","reason":"known gap","outcome":"ok"`)
	assert.Contains(t, string(lines), `"identity":"dashboard","action":"start pipeline"`)

	assert.NoError(t, shutdown(), "graceful shutdown")
}

// startServe runs a.serve on a free port until shutdown is called, and waits until
// it is ready; shutdown returns what serve returned.
func startServe(t testing.TB, a *App, f serveFlags) (string, func() error) {
	f.listen = testkit.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.serve(ctx, f) }()
	base := "http://" + f.listen
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 15*time.Second, 100*time.Millisecond)
	return base, func() error {
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("serve did not shut down")
		}
	}
}

// TestServeAnswers503UntilTemporalIsUp: the API starts without Temporal, answers
// 503 with Retry-After, and serves once the server answers, without a restart.
func TestServeAnswers503UntilTemporalIsUp(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	down := testApp(t, testkit.FreeAddr(t), contract.DefaultNamespace, auditPath)
	var up atomic.Pointer[App]
	backend := &apiBackend{dial: func(ctx context.Context) (*data.Temporal, error) {
		if a := up.Load(); a != nil {
			return a.Source(ctx)
		}
		return down.Source(ctx)
	}}
	apiSrv := httptest.NewServer(api.New(api.Options{Backend: backend}))
	defer apiSrv.Close()

	code, body := call(t, "GET", apiSrv.URL+"/v1/pipelines/workflows", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, code, string(body))
	assert.Contains(t, string(body), `"code": "unavailable"`)
	resp, err := http.Get(apiSrv.URL + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))

	srv := testkit.StartDevServer(t)
	up.Store(testApp(t, srv.HostPort, srv.Namespace, auditPath))
	require.Eventually(t, func() bool {
		code, _ := call(t, "GET", apiSrv.URL+"/v1/pipelines/workflows", "", "")
		return code == http.StatusOK
	}, 10*time.Second, 250*time.Millisecond, "recovers by itself")
}
