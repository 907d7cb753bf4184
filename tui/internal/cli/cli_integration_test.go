package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/tui/internal/audit"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

type run struct {
	code          int
	stdout, stder string
}

func matih(t *testing.T, srv *testkit.DevServer, auditPath string, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--address", srv.HostPort, "--namespace", srv.Namespace, "--audit-log", auditPath}, args...)
	code := Main(full, strings.NewReader(""), &out, &errb)
	return run{code, out.String(), errb.String()}
}

func writeConfig(t testing.TB, name, body string) string {
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// lowQuality reads the demo's dirty orders (a quarter without an amount): one of
// its two checks fails, so it scores 0.5 and waits for a human.
const lowQuality = `pipeline_id: sales
source: {connection: demo_orders_dirty, table: orders}
quality_checks:
  - {type: not_null, columns: [amount]}
  - {type: unique, columns: [order_id]}
min_quality_score: 0.9
approval_timeout: 1h
destination: {table: analytics.sales}
`

// TestSubcommandsAgainstDevServer drives every scriptable twin against a real server
// and the real pipeline worker.
func TestSubcommandsAgainstDevServer(t *testing.T) {
	srv := testkit.StartDevServer(t)
	testkit.StartPipelineWorker(t, srv)
	auditPath := filepath.Join(t.TempDir(), "audit.log")

	var r run
	require.Eventually(t, func() bool {
		r = matih(t, srv, auditPath, "ping")
		return r.code == ExitOK && strings.Contains(r.stdout, "pipeline-workers  1")
	}, 10*time.Second, 100*time.Millisecond, "the worker's pollers show: %+v", r)
	assert.Contains(t, r.stdout, "Temporal 1.")
	assert.Contains(t, r.stdout, contract.DefaultNamespace)
	assert.Regexp(t, `pipeline-workers\s+1\s+1`, r.stdout)
	assert.Regexp(t, `infra-workers\s+0\s+0\s+NO LIVE WORKER`, r.stdout)

	cfg := writeConfig(t, "low.yaml", lowQuality)
	r = matih(t, srv, auditPath, "start", "pipeline", "-f", cfg)
	require.Equal(t, ExitOK, r.code, r.stder)
	id := strings.TrimSpace(r.stdout)
	assert.True(t, strings.HasPrefix(id, "pipeline-sales-"), id)

	doc := waitPhase(t, srv, auditPath, id, contract.PhaseAwaitingApproval)
	assert.Equal(t, status.SourceQuery, doc.ProgressSource)
	assert.Equal(t, []string{"approval"}, doc.PendingSignals)
	require.NotNil(t, doc.Quality)
	assert.Equal(t, 0.5, doc.Quality.Score)
	require.NotNil(t, doc.Approval)
	assert.Equal(t, 0.9, doc.Approval.MinScore)

	// Visibility is eventually consistent: the search attribute lands shortly after the query says so.
	require.Eventually(t, func() bool {
		r = matih(t, srv, auditPath, "ls", "--status", "awaiting")
		return r.code == ExitOK && strings.Contains(r.stdout, id)
	}, 10*time.Second, 100*time.Millisecond, "ls --status awaiting lists the run: %+v", r)
	assert.Contains(t, r.stdout, contract.PhaseAwaitingApproval)

	r = matih(t, srv, auditPath, "approve", id)
	assert.Equal(t, ExitUsage, r.code, "reason is required")
	r = matih(t, srv, auditPath, "--read-only", "approve", id, "--reason", "fine")
	assert.Equal(t, ExitRefused, r.code)
	assert.Contains(t, r.stder, "read-only")

	r = matih(t, srv, auditPath, "approve", id, "--reason", "known gap in source")
	require.Equal(t, ExitOK, r.code, r.stder)
	r = matih(t, srv, auditPath, "reject", id, "--reason", "too late")
	assert.Equal(t, ExitRefused, r.code, "a second decision is refused: %s", r.stder)
	assert.Regexp(t, "already decided by .*@|workflow already closed", r.stder, "by the validator, naming who decided, or by the server once the run closed")

	r = matih(t, srv, auditPath, "watch", id)
	require.Equal(t, ExitOK, r.code, r.stder)
	assert.Contains(t, r.stdout, "COMPLETED")

	r = matih(t, srv, auditPath, "-o", "json", "status", id)
	require.Equal(t, ExitOK, r.code, r.stder)
	var final status.Document
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &final))
	var res contract.PipelineResult
	require.NoError(t, json.Unmarshal(final.Result, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "known gap in source", res.ApprovalReason)
	assert.Contains(t, res.Approver, "@")

	r = matih(t, srv, auditPath, "queues", "--json")
	require.Equal(t, ExitOK, r.code, r.stder)
	var fleet struct {
		Queues []struct {
			Name            string         `json:"name"`
			Running         int64          `json:"running"`
			WorkflowBacklog map[string]any `json:"workflowBacklog"`
		} `json:"queues"`
		Deployments []map[string]any `json:"deployments"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &fleet), "--json is -o json")
	assert.Len(t, fleet.Queues, 3)
	for _, q := range fleet.Queues {
		assert.NotNil(t, q.WorkflowBacklog, "%s reports its backlog", q.Name)
		assert.GreaterOrEqual(t, q.Running, int64(0))
	}
	assert.NotNil(t, fleet.Deployments)

	r = matih(t, srv, auditPath, "status", "no-such-workflow")
	assert.Equal(t, ExitNotFound, r.code, r.stder)

	// A second run: cancel needs --yes without a terminal, then cancels.
	r = matih(t, srv, auditPath, "start", "pipeline", "-f", cfg)
	require.Equal(t, ExitOK, r.code, r.stder)
	id2 := strings.TrimSpace(r.stdout)
	waitPhase(t, srv, auditPath, id2, contract.PhaseAwaitingApproval)
	r = matih(t, srv, auditPath, "cancel", id2, "--reason", "bad input")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stder, "--yes")
	r = matih(t, srv, auditPath, "cancel", id2, "--reason", "bad input", "--yes")
	require.Equal(t, ExitOK, r.code, r.stder)
	r = matih(t, srv, auditPath, "watch", id2)
	assert.Equal(t, ExitError, r.code, "a cancelled run is not a success")

	lines, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	// Each action sent has its line before (outcome "sending") and after; the
	// read-only refusal sent nothing, so it has one. The chain verifies.
	assert.Equal(t, 11, strings.Count(string(lines), "\n"), string(lines))
	n, err := audit.Verify(strings.NewReader(string(lines)))
	require.NoError(t, err)
	assert.Equal(t, 11, n)
	assert.Contains(t, string(lines), `"action":"approve","workflow":"`+id+`","reason":"known gap in source","outcome":"ok"`)
	assert.Contains(t, string(lines), `"outcome":"error: refused: read-only mode: approve not sent"`)
}

func waitPhase(t *testing.T, srv *testkit.DevServer, auditPath, id, phase string) status.Document {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := matih(t, srv, auditPath, "-o", "json", "status", id)
		require.Equal(t, ExitOK, r.code, r.stder)
		var doc status.Document
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
		if doc.Phase == phase {
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %s: %+v", id, phase, doc)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestPingUnreachableIsOneLineWithinFiveSeconds(t *testing.T) {
	addr := testkit.FreeAddr(t)
	var out, errb bytes.Buffer
	start := time.Now()
	code := Main([]string{"--address", addr, "ping"}, strings.NewReader(""), &out, &errb)
	assert.Less(t, time.Since(start), 6*time.Second)
	assert.Equal(t, ExitUnreachable, code)
	assert.Equal(t, 1, strings.Count(errb.String(), "\n"), errb.String())
	assert.Contains(t, errb.String(), "unreachable at "+addr)
	assert.NotContains(t, errb.String(), "goroutine")
}
