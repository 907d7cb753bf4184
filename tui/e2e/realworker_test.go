package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/statusread"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

// startProcess runs a binary in dir until the test ends, then stops it by its pid.
func startProcess(t *testing.T, dir string, env []string, bin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(filepath.Join(dir, filepath.Base(bin)+".log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = logf.Close()
	})
	return cmd
}

// waitReady waits until a worker answers 200 on /readyz.
func waitReady(t *testing.T, addr string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "worker on %s never became ready", addr)
}

// TestApproveRealPipelineInTmux is the console's acceptance run: the real pipeline and
// notify workers, the low-quality example pipeline over generated demo data, approved
// by keys in the console at 80x24.
func TestApproveRealPipelineInTmux(t *testing.T) {
	needTmux(t)
	bin := buildMatih(t)
	pipelineWorker := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline")
	demoData := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/demo-data")
	notifyWorker := testkit.Build(t, "github.com/matih/ops/worker-notify/cmd/worker-notify")
	srv := testkit.StartDevServer(t)

	dir := t.TempDir()
	out, err := exec.Command(demoData, "--out", filepath.Join(dir, ".data/demo/orders-dirty.db"), "--rows", "2000", "--null-rate", "0.25").CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command(demoData, "--out", filepath.Join(dir, ".data/demo/orders-clean.db"), "--rows", "2000", "--null-rate", "0").CombinedOutput()
	require.NoError(t, err, string(out))
	// The example's connections, as scripts/dev.sh installs them.
	examples := filepath.Join(testkit.RepoRoot(t), "worker-pipeline", "examples")
	conns, err := os.ReadFile(filepath.Join(examples, "connections.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".data", "connections.yaml"), conns, 0o600))
	env := []string{"TEMPORAL_ADDRESS=" + srv.HostPort, "TEMPORAL_NAMESPACE=" + srv.Namespace, "MATIH_DATA_DIR=" + filepath.Join(dir, ".data")}
	for _, bin := range []string{pipelineWorker, notifyWorker} {
		addr := testkit.FreeAddr(t)
		startProcess(t, dir, env, bin, "--http-addr", addr)
		waitReady(t, addr)
		testkit.PromoteReady(t, srv.Client, addr)
	}

	example := filepath.Join(testkit.RepoRoot(t), "worker-pipeline", "examples", "orders-low-quality.yaml")
	conn := []string{"--address", srv.HostPort, "--namespace", srv.Namespace, "--audit-log", filepath.Join(dir, "audit.log")}
	out, err = exec.Command(bin, append(conn, "start", "pipeline", "-f", example)...).CombinedOutput()
	require.NoError(t, err, string(out))
	id := strings.TrimSpace(string(out))

	x := newTmux(t, "real", fmt.Sprintf("%s %s; sleep 30", bin, strings.Join(conn, " ")))
	// The run starts waiting while the console sits untouched, so the console opens
	// the approvals inbox by itself; enter opens the run from there.
	screen := x.waitFor(90*time.Second, "APPROVALS · 1 waiting", "a approve")
	t.Logf("inbox:\n%s", screen)
	x.keys("Enter")
	screen = x.waitFor(10*time.Second, "FAIL", "left (times out")
	t.Logf("evidence:\n%s", screen)
	x.keys("a")
	x.waitFor(10*time.Second, "Approve this run")
	x.text("nulls in amount are a known upstream gap")
	x.keys("Enter")
	screen = x.waitFor(60*time.Second, "COMPLETED  phase COMPLETED", "approved by")
	t.Logf("detail:\n%s", screen)
	x.quit()

	doc, err := statusread.Build(context.Background(), srv.Client, id, "")
	require.NoError(t, err)
	require.Equal(t, status.WorkflowCompleted, doc.Status)
	var res contract.PipelineResult
	require.NoError(t, json.Unmarshal(doc.Result, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "nulls in amount are a known upstream gap", res.ApprovalReason)
	assert.Contains(t, res.Approver, "@")
	assert.Positive(t, res.RowsProcessed)

	// The run's deliveries exist, and matih ls lists the run without them.
	deliveries, err := srv.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: contract.DeliveriesQuery})
	require.NoError(t, err)
	assert.NotEmpty(t, deliveries.GetExecutions(), "the run's notifications were delivered by workflows of their own")
	out, err = exec.Command(bin, append(conn, "ls", "--status", "all", "-o", "jsonl")...).Output()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), id)
	assert.NotContains(t, string(out), contract.NotificationDeliveryWorkflow, "matih ls lists runs, not their deliveries")

	// The example backfill, then its grid's data as a script reads it.
	out, err = exec.Command(bin, append(conn, "start", "backfill", "-f", filepath.Join(examples, "orders-backfill.yaml"))...).CombinedOutput()
	require.NoError(t, err, string(out))
	bf := strings.TrimSpace(string(out))
	out, err = exec.Command(bin, append(conn, "watch", bf)...).CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command(bin, append(conn, "-o", "json", "backfill", bf)...).Output()
	require.NoError(t, err, string(out))
	var grid struct {
		Status     string
		Partitions status.PartitionSummary
	}
	require.NoError(t, json.Unmarshal(out, &grid), string(out))
	assert.Equal(t, status.WorkflowCompleted, grid.Status)
	assert.Equal(t, 30, grid.Partitions.Total, "January, one partition a day")
	assert.Equal(t, 30, grid.Partitions.Done+grid.Partitions.Skipped)
	assert.Zero(t, grid.Partitions.Failed)
}
