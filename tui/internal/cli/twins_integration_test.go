package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/data"
)

// TestInboxFailuresAndJSONOutcomes drives the scriptable twins of the inbox and the
// failures view, and the JSON forms of actions and errors, against a real server.
func TestInboxFailuresAndJSONOutcomes(t *testing.T) {
	srv := testkit.StartDevServer(t)
	testkit.StartPipelineWorker(t, srv)
	auditPath := filepath.Join(t.TempDir(), "audit.log")

	// Two runs wait: the later-started one has the sooner deadline.
	late := writeConfig(t, "late.yaml", strings.Replace(lowQuality, "approval_timeout: 1h", "approval_timeout: 3h", 1))
	soon := writeConfig(t, "soon.yaml", strings.Replace(strings.Replace(lowQuality, "pipeline_id: sales", "pipeline_id: orders", 1), "approval_timeout: 1h", "approval_timeout: 30m", 1))
	var ids []string
	for _, cfg := range []string{late, soon} {
		r := matih(t, srv, auditPath, "start", "pipeline", "-f", cfg)
		require.Equal(t, ExitOK, r.code, r.stder)
		ids = append(ids, strings.TrimSpace(r.stdout))
		waitPhase(t, srv, auditPath, ids[len(ids)-1], contract.PhaseAwaitingApproval)
	}
	var inbox struct{ Approvals []data.Waiting }
	require.Eventually(t, func() bool {
		r := matih(t, srv, auditPath, "-o", "json", "inbox")
		return r.code == ExitOK && json.Unmarshal([]byte(r.stdout), &inbox) == nil && len(inbox.Approvals) == 2
	}, 10*time.Second, 200*time.Millisecond)
	assert.Equal(t, ids[1], inbox.Approvals[0].WorkflowID, "soonest deadline first")
	assert.Equal(t, 0.9, inbox.Approvals[0].MinScore)
	require.NotNil(t, inbox.Approvals[0].FirstFailing)
	assert.Equal(t, 0.5, *inbox.Approvals[0].QualityScore)

	r := matih(t, srv, auditPath, "-o", "json", "approve", ids[1], "--reason", "known gap")
	require.Equal(t, ExitOK, r.code, r.stder)
	var act ActionResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &act))
	assert.Equal(t, ActionResult{Action: "approve", WorkflowID: ids[1], Identity: act.Identity, Outcome: "ok"}, act)

	// A terminated run and one whose extraction fails non-retryably (its table is
	// not in the source) are failures.
	r = matih(t, srv, auditPath, "-o", "json", "terminate", ids[0], "--reason", "bad build 42", "--yes")
	require.Equal(t, ExitOK, r.code, r.stder)
	cfg := contract.PipelineConfig{PipelineID: "broken", Source: contract.SourceConfig{Connection: testkit.DemoClean, Table: "no_such_table"},
		Destination: contract.DestinationConfig{Table: "analytics.broken"}}
	_, err := srv.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "pipeline-broken-1", TaskQueue: contract.PipelineQueue},
		contract.DataPipelineWorkflow, cfg)
	require.NoError(t, err)
	var fails failuresAnswer
	require.Eventually(t, func() bool {
		r = matih(t, srv, auditPath, "-o", "json", "failures", "--since", "1h")
		return r.code == ExitOK && json.Unmarshal([]byte(r.stdout), &fails) == nil && fails.Runs == 2
	}, 20*time.Second, 200*time.Millisecond, "%+v", r)
	byType := map[string]data.FailureGroup{}
	for _, g := range fails.Groups {
		byType[g.ErrorType] = g
	}
	assert.Equal(t, "bad build N", byType["Terminated"].Message, "numbers are masked")
	assert.Equal(t, ids[0], byType["Terminated"].ExampleWorkflowID)
	assert.Equal(t, contract.ActivityExtractData, byType["ValidationError"].Activity)
	assert.Contains(t, byType["ValidationError"].Message, "no such table: no_such_table")

	r = matih(t, srv, auditPath, "-o", "json", "status", "no-such-workflow")
	assert.Equal(t, ExitNotFound, r.code)
	var e struct {
		Error struct {
			Code    string
			Exit    int
			Message string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stder), &e), r.stder)
	assert.Equal(t, "not_found", e.Error.Code)
	assert.Equal(t, ExitNotFound, e.Error.Exit)
	r = matih(t, srv, auditPath, "failures", "--since", "-1h")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stder, "--since: expected a positive duration")
}
