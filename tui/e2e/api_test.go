package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/api"
)

// apiCall sends one request to `matih serve` with a bearer token.
func apiCall(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// TestApproveRealPipelineOverTheAPI is the Pipeline Service API's acceptance run:
// the real pipeline and notify workers, `matih serve` with tokens and the examples'
// low-quality pipeline, executed, approved and completed over HTTP.
func TestApproveRealPipelineOverTheAPI(t *testing.T) {
	bin := buildMatih(t)
	pipelineWorker := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline")
	demoData := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/demo-data")
	notifyWorker := testkit.Build(t, "github.com/matih/ops/worker-notify/cmd/worker-notify")
	srv := testkit.StartDevServer(t)
	dir, examples := startRealWorkers(t, srv, demoData, pipelineWorker, notifyWorker)

	// The pipelines directory holds the example as is; the tokens file only digests.
	pipelines := filepath.Join(dir, "pipelines")
	require.NoError(t, os.MkdirAll(pipelines, 0o700))
	example, err := os.ReadFile(filepath.Join(examples, "orders-low-quality.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(pipelines, "orders-low-quality.yaml"), example, 0o600))
	const operate, read = "operate-e2e-token", "read-e2e-token"
	tokens := filepath.Join(dir, "tokens.yaml")
	require.NoError(t, os.WriteFile(tokens, []byte("tokens:\n  - {name: pipeline-service, role: operate, sha256: "+api.Digest(operate)+
		"}\n  - {name: dashboard, role: read, sha256: "+api.Digest(read)+"}\n"), 0o600))
	addr := testkit.FreeAddr(t)
	startProcess(t, dir, nil, bin, "--address", srv.HostPort, "--namespace", srv.Namespace, "--audit-log", filepath.Join(dir, "audit.log"),
		"serve", "--listen", addr, "--tokens", tokens, "--pipelines", pipelines)
	waitReady(t, addr)
	base := "http://" + addr

	code, body := apiCall(t, "POST", base+"/v1/pipelines/orders-low-quality/execute", operate, "")
	require.Equal(t, http.StatusAccepted, code, string(body))
	var started struct{ WorkflowID, RunID, Status string }
	require.NoError(t, json.Unmarshal(body, &started))
	assert.Equal(t, "STARTED", started.Status)
	id := started.WorkflowID
	assert.True(t, strings.HasPrefix(id, "pipeline-orders-low-quality-"), id)

	var doc status.Document
	require.Eventually(t, func() bool {
		code, b := apiCall(t, "GET", base+"/v1/pipelines/workflows/"+id+"/status", read, "")
		return code == http.StatusOK && json.Unmarshal(b, &doc) == nil && doc.Phase == contract.PhaseAwaitingApproval
	}, 90*time.Second, 500*time.Millisecond, "the low-quality run waits for approval")

	signal := base + "/v1/pipelines/workflows/" + id + "/signal"
	approve := `{"name":"approval","data":{"approved":true,"reason":"nulls in amount are a known upstream gap"}}`
	code, body = apiCall(t, "POST", signal, read, approve)
	assert.Equal(t, http.StatusForbidden, code, string(body))
	code, body = apiCall(t, "POST", signal, operate, approve)
	require.Equal(t, http.StatusOK, code, string(body))

	require.Eventually(t, func() bool {
		_, b := apiCall(t, "GET", base+"/v1/pipelines/workflows/"+id+"/status", read, "")
		return json.Unmarshal(b, &doc) == nil && doc.Status == status.WorkflowCompleted
	}, 90*time.Second, 500*time.Millisecond, "the approved run completes")
	var res contract.PipelineResult
	require.NoError(t, json.Unmarshal(doc.Result, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "pipeline-service", res.Approver)
	assert.Positive(t, res.RowsProcessed)

	code, _ = apiCall(t, "POST", signal, read, approve)
	assert.Equal(t, http.StatusForbidden, code, "a read token still may not signal")
}

// startRealWorkers makes the demo data and starts the real workers on srv, made
// current, as scripts/dev.sh does; it returns their folder and the examples folder.
func startRealWorkers(t *testing.T, srv *testkit.DevServer, demoData string, workers ...string) (string, string) {
	dir := t.TempDir()
	out, err := exec.Command(demoData, "--out", filepath.Join(dir, ".data/demo/orders-dirty.db"), "--rows", "2000", "--null-rate", "0.25").CombinedOutput()
	require.NoError(t, err, string(out))
	examples := filepath.Join(testkit.RepoRoot(t), "worker-pipeline", "examples")
	conns, err := os.ReadFile(filepath.Join(examples, "connections.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".data", "connections.yaml"), conns, 0o600))
	env := []string{"TEMPORAL_ADDRESS=" + srv.HostPort, "TEMPORAL_NAMESPACE=" + srv.Namespace, "MATIH_DATA_DIR=" + filepath.Join(dir, ".data")}
	for _, bin := range workers {
		// On a secure server each worker presents its own certificate and a worker token.
		env := append(env, srv.ClientEnv(t, "worker", filepath.Base(bin))...)
		addr := testkit.FreeAddr(t)
		startProcess(t, dir, env, bin, "--http-addr", addr)
		waitReady(t, addr)
		testkit.PromoteReady(t, srv.Client, addr)
	}

	return dir, examples
}
