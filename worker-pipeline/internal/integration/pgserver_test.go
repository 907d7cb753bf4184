package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/statusread"
	"github.com/matih/ops/shared/testkit"
)

const notifyBin = "github.com/matih/ops/worker-notify/cmd/worker-notify"

// TestPipelineOnPostgresServer runs a low-quality pipeline end to end on the
// production-like server (real server binary, deploy/temporal/production.yaml,
// PostgreSQL persistence and visibility) with the real pipeline and notify worker
// processes: it waits for approval, is approved through the `approval` update as the
// console does, and completes; the custom search attributes are queryable in SQL
// visibility.
func TestPipelineOnPostgresServer(t *testing.T) {
	srv := testkit.StartPostgresServer(t)
	// A run stuck on a task no worker takes fails here, not at the test binary's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The server runs on PostgreSQL, not the dev server's SQLite.
	// Cluster information is the admin's to read.
	info, err := srv.Dial(t, "admin", "operator").WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
	require.NoError(t, err)
	assert.Equal(t, "postgres12", info.GetPersistenceStore())
	assert.Equal(t, "postgres12", info.GetVisibilityStore())

	// The stack's fields, without newStack's in-process notify recorder: the real
	// notify worker takes the notify-workers queue here.
	dir := t.TempDir()
	s := &stack{srv: srv, dir: dir, catalog: filepath.Join(dir, "catalog.db"), warehouse: filepath.Join(dir, "warehouse")}
	s.conns = testkit.ConnectionsFile(t, dir, testkit.SQLiteConn(slotName(0), s.slotPath(0)))
	notifyDir := filepath.Join(dir, "notify")
	require.NoError(t, os.MkdirAll(notifyDir, 0o755))
	notifyHTTP := testkit.FreeAddr(t)
	notify := testkit.Start(t, testkit.Build(t, notifyBin), []string{"--address", srv.HostPort, "--http-addr", notifyHTTP,
		"--stop-timeout", "2s", "--data-dir", notifyDir, "--log-level", "warn"}, srv.ClientEnv(t, "worker", "worker-notify"), notifyDir)
	notify.WaitReady(t, notifyHTTP, 30*time.Second)
	// Both workers run under Worker Versioning: each one's build becomes its
	// deployment's current version (startWorker does it for the pipeline worker), or
	// no task reaches it.
	testkit.PromoteReady(t, srv.Client, notifyHTTP)
	s.startWorker(t, nil)

	conn, want := s.source(t, 2000, 0.3)
	run := s.start(t, "pipeline-orders-on-postgres", cfgFor(conn, "analytics.orders_pg"))
	doc := waitPhase(t, srv.Client, run.GetID(), contract.PhaseAwaitingApproval)
	assert.Less(t, doc.Quality.Score, 0.9)
	assert.True(t, approve(t, srv.Client, run.GetID(), "ana@bastion", "late feed, known").Approved)

	var res contract.PipelineResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "ana@bastion", res.Approver)
	assert.Equal(t, "late feed, known", res.ApprovalReason)
	assert.Equal(t, want, res.RowsProcessed)
	assert.Equal(t, want, s.tableRows(t, "analytics.orders_pg"), "the table holds exactly the source's rows")
	desc, err := srv.Client.DescribeWorkflowExecution(ctx, run.GetID(), "")
	require.NoError(t, err)
	assert.Equal(t, "matih-worker-pipeline", desc.GetWorkflowExecutionInfo().GetVersioningInfo().GetDeploymentVersion().GetDeploymentName(),
		"the run was pinned to the pipeline worker's deployment")
	final, err := statusread.Build(ctx, srv.Client, run.GetID(), "")
	require.NoError(t, err)
	assert.True(t, final.Pinned, "the status document says the run is pinned")
	assert.True(t, strings.HasPrefix(final.Version, "matih-worker-pipeline:"), "and to which version: %q", final.Version)

	// Visibility on PostgreSQL answers the console's queries on the custom attributes.
	query := "PipelineId = 'orders' AND PipelinePhase = 'COMPLETED' AND QualityScore < 0.9"
	require.Eventually(t, func() bool {
		resp, err := srv.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		return err == nil && len(resp.GetExecutions()) == 1 && resp.GetExecutions()[0].GetExecution().GetWorkflowId() == run.GetID()
	}, 15*time.Second, 200*time.Millisecond, "visibility never listed the run for %q", query)

	// The notify worker delivered the quality issue and the completion to its outbox.
	require.Eventually(t, func() bool {
		kinds := outboxKinds(t, filepath.Join(notifyDir, "outbox.jsonl"), run.GetID())
		return kinds["quality_issue"] > 0 && kinds["completion"] > 0
	}, 15*time.Second, 200*time.Millisecond, "the outbox lacks the quality issue or the completion")

	// Its deliveries are listed only when asked for: their namespace division keeps
	// them out of a list that does not name it, on PostgreSQL visibility too.
	require.Eventually(t, func() bool {
		resp, err := srv.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: contract.DeliveriesQuery})
		return err == nil && len(resp.GetExecutions()) >= 2
	}, 15*time.Second, 200*time.Millisecond, "visibility never listed the run's deliveries")
	resp, err := srv.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{})
	require.NoError(t, err)
	require.NotEmpty(t, resp.GetExecutions())
	for _, e := range resp.GetExecutions() {
		assert.NotEqual(t, contract.NotificationDeliveryWorkflow, e.GetType().GetName(), "a list that did not ask for deliveries shows %s", e.GetExecution().GetWorkflowId())
	}
}

// outboxKinds counts the outbox lines of one workflow by kind.
func outboxKinds(t *testing.T, path, workflowID string) map[string]int {
	kinds := map[string]int{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return kinds
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Kind       string `json:"kind"`
			WorkflowID string `json:"workflow_id"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), "outbox line %s", sc.Text())
		if line.WorkflowID == workflowID {
			kinds[line.Kind]++
		}
	}
	require.NoError(t, sc.Err())
	return kinds
}
