package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// rollout drives scripts/rollout.sh against one test server and data directory.
type rollout struct {
	srv  *testkit.DevServer
	data string // the stack's data directory (MATIH_DEV_DATA)
	bins string // versioned binaries (MATIH_VERSIONS_DIR)
}

// run runs rollout.sh with args and extra env, and returns its combined output and
// whether it exited 0.
func (r *rollout) run(t *testing.T, env []string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(filepath.Join(testkit.RepoRoot(t), "scripts", "rollout.sh"), args...)
	cmd.Env = append(os.Environ(), append([]string{"MATIH_DEV_DATA=" + r.data, "MATIH_VERSIONS_DIR=" + r.bins,
		"TEMPORAL_ADDRESS=" + r.srv.HostPort, "TEMPORAL_NAMESPACE=" + r.srv.Namespace}, append(r.srv.ClientEnv(t, "writer", "operator"), env...)...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("rollout.sh %s:\n%s", strings.Join(args, " "), out)
	return string(out), err == nil
}

// stopAll stops every worker process the script started.
func (r *rollout) stopAll() {
	pids, _ := filepath.Glob(filepath.Join(r.data, "workers", "*", "*.pid"))
	for _, f := range pids {
		b, _ := os.ReadFile(f)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// temporal runs the stock CLI against the test server as the operator.
func (r *rollout) temporal(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(testkit.TemporalCLI(t), args...)
	cmd.Env = append(os.Environ(), append([]string{"TEMPORAL_ADDRESS=" + r.srv.HostPort, "TEMPORAL_NAMESPACE=" + r.srv.Namespace},
		r.srv.ClientEnv(t, "writer", "operator")...)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "temporal %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// manager sets (or, empty, unsets) the pipeline deployment's ManagerIdentity.
func (r *rollout) manager(t *testing.T, identity string) {
	t.Helper()
	if identity == "" {
		r.temporal(t, "worker", "deployment", "manager-identity", "unset", "--deployment-name", "matih-worker-pipeline", "-y")
		return
	}
	r.temporal(t, "worker", "deployment", "manager-identity", "set", "--deployment-name", "matih-worker-pipeline", "--manager-identity", identity, "-y")
}

// managerOf reads the pipeline deployment's ManagerIdentity.
func (r *rollout) managerOf(t *testing.T) string {
	t.Helper()
	var d struct {
		ManagerIdentity string `json:"managerIdentity"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.temporal(t, "worker", "deployment", "describe", "--name", "matih-worker-pipeline", "-o", "json")), &d))
	return d.ManagerIdentity
}

func (r *rollout) alive(build string) bool {
	_, err := os.Stat(filepath.Join(r.data, "workers", "worker-pipeline", build+".pid"))
	return err == nil
}

// pinnedTo reads the build a run is pinned to.
func pinnedTo(t *testing.T, c client.Client, id string) string {
	d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	require.NoError(t, err)
	return d.GetWorkflowExecutionInfo().GetVersioningInfo().GetDeploymentVersion().GetBuildId()
}

// noWorkflowTaskFailed asserts a run's history has no failed workflow task, which is
// where a non-determinism error would show.
func noWorkflowTaskFailed(t *testing.T, c client.Client, id string) {
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		require.NotEqual(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, e.GetEventType(), "%s: %v", id, e)
	}
}

// TestRolloutOfAnIncompatibleBuildLeavesRunsInFlightOnTheirBuild is the rollout
// scenario: build A runs an approval wait and a paused backfill; build B, whose
// pipeline code is non-deterministic for A's histories, is rolled out with
// rollout.sh; the gate reports A's open run as pinned, B takes new runs, A's runs
// finish on A, A stops only once drained, and a rollback makes A current again.
func TestRolloutOfAnIncompatibleBuildLeavesRunsInFlightOnTheirBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two worker binaries and drains one")
	}
	rolloutScenario(t, newStack(t), false)
}

// TestRolloutOnPostgresServer is the same scenario on the production-like server
// (temporal-server on PostgreSQL, deploy/temporal/production.yaml).
func TestRolloutOnPostgresServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two worker binaries and drains one")
	}
	rolloutScenario(t, newStackOn(t, testkit.StartPostgresServer(t)), true)
}

// rolloutScenario runs the scenario on s; upgradesAtContinueAsNew says the server
// (1.30 or newer) tells a pinned run that a newer build is the target, so the
// backfill moves to B at its next continue-as-new instead of finishing on A.
func rolloutScenario(t *testing.T, s *stack, upgradesAtContinueAsNew bool) {
	r := &rollout{srv: s.srv, data: t.TempDir(), bins: t.TempDir()}
	t.Cleanup(r.stopAll)
	// The stack's sources and connections, where a worker started with only
	// MATIH_DATA_DIR finds them (as scripts/dev.sh sets it up).
	clean, _ := s.source(t, 400, 0)
	dirty, _ := s.source(t, 400, 0.3)
	conns, err := os.ReadFile(s.conns)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(r.data, "connections.yaml"), conns, 0o600))
	c, ctx := s.srv.Client, context.Background()

	out, ok := r.run(t, nil, "start", "worker-pipeline", "--build-id", "build-a")
	require.True(t, ok, out)
	assert.Contains(t, out, "build-a is current")

	waiting := s.start(t, "pipeline-rollout-waiting", cfgFor(dirty, "analytics.rollout_waiting"))
	waitPhase(t, c, waiting.GetID(), contract.PhaseAwaitingApproval)
	backfillID := "backfill-rollout"
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: backfillID, TaskQueue: contract.PipelineQueue}, contract.DataBackfillWorkflow,
		contract.BackfillConfig{PipelineID: "rollout", Source: contract.SourceConfig{Connection: clean, Table: "orders"}, PartitionColumn: "order_date",
			StartDate: "2026-01-01", EndDate: "2026-01-20", PartitionSize: "day", Destination: contract.DestinationConfig{Table: "analytics.rollout_daily"}, MaxParallel: 1})
	require.NoError(t, err)
	require.NoError(t, c.SignalWorkflow(ctx, backfillID, "", contract.SignalPause, contract.PauseSignal{RequestedBy: "ops", Reason: "rollout drill"}))
	waitPhase(t, c, backfillID, contract.PhasePaused)

	// A run moved off its pin by an override would continue on B, which cannot replay
	// it: RolloutGateWorkflow, run on B's own workers, fails naming it, and B is stopped.
	moved, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pipeline-rollout-moved", TaskQueue: contract.PipelineQueue,
		VersioningOverride: &client.AutoUpgradeVersioningOverride{}}, contract.DataPipelineWorkflow, cfgFor(dirty, "analytics.rollout_moved"))
	require.NoError(t, err)
	waitPhase(t, c, moved.GetID(), contract.PhaseAwaitingApproval)
	out, ok = r.run(t, []string{"GOFLAGS=-tags=rollout_drill"}, "start", "worker-pipeline", "--build-id", "build-b")
	require.False(t, ok, "B cannot continue the moved run: %s", out)
	assert.Contains(t, out, "RolloutGateWorkflow rollout-gate-matih-worker-pipeline-build-b-")
	assert.Regexp(t, `FAIL   live pipeline-rollout-moved/\S+  DataPipelineWorkflow`, out, "the gate names the run")
	assert.Contains(t, out, "open and not pinned: it would continue on this build")
	assert.False(t, r.alive("build-b"), "B was stopped without taking traffic")
	require.NoError(t, c.CancelWorkflow(ctx, moved.GetID(), ""))
	var movedRes contract.PipelineResult
	require.NoError(t, moved.Get(ctx, &movedRes))
	assert.Equal(t, contract.StatusCancelled, movedRes.Status, "the moved run is cancelled on A")

	// The second try also runs a smoke pipeline on B before B takes traffic.
	smoke := filepath.Join(t.TempDir(), "smoke.yaml")
	require.NoError(t, os.WriteFile(smoke, []byte("pipeline_id: rollout-smoke\nsource: {connection: "+clean+", table: orders}\n"+
		"min_quality_score: 0\ndestination: {table: analytics.rollout_smoke}\n"), 0o600))
	out, ok = r.run(t, []string{"GOFLAGS=-tags=rollout_drill", "MATIH_ROLLOUT_SMOKE=" + smoke}, "start", "worker-pipeline", "--build-id", "build-b")
	require.True(t, ok, "runs pinned to A do not block B: %s", out)
	smokeRun := regexp.MustCompile(`smoke pipeline (\S+): COMPLETED, 400 rows`).FindStringSubmatch(out)
	require.NotNil(t, smokeRun, "the gate ran the smoke pipeline to its end: %s", out)
	assert.Equal(t, "build-b", pinnedTo(t, c, smokeRun[1]), "on the build under test")
	assert.Regexp(t, `PINNED live pipeline-rollout-waiting/\S+  DataPipelineWorkflow`, out, "the gate shows B cannot replay A's open run")
	assert.Contains(t, out, "pinned to matih-worker-pipeline.build-a")
	assert.Contains(t, out, "build-b is current")

	// The fleet shows both versions, A with the two runs pinned to it.
	fleet := pipelineVersions(t, s.srv)
	assert.Equal(t, int64(2), fleet["build-a"], "A's open runs: the waiting pipeline and the paused backfill")
	assert.Contains(t, fleet, "build-b")

	fresh := s.start(t, "pipeline-rollout-fresh", cfgFor(clean, "analytics.rollout_fresh"))
	var res contract.PipelineResult
	require.NoError(t, fresh.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "build-b", pinnedTo(t, c, fresh.GetID()), "new runs go to B")

	out, ok = r.run(t, nil, "drain", "worker-pipeline", "build-a", "--timeout", "3s")
	require.False(t, ok, "A still has pinned runs: %s", out)
	assert.True(t, r.alive("build-a"), "A keeps running until it is drained")

	assert.True(t, approve(t, c, waiting.GetID(), "ana@bastion", "drill").Approved)
	require.NoError(t, waiting.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	require.NoError(t, c.SignalWorkflow(ctx, backfillID, "", contract.SignalResume, contract.PauseSignal{RequestedBy: "ops", Reason: "drill over"}))
	var bres contract.BackfillResult
	require.NoError(t, c.GetWorkflow(ctx, backfillID, "").Get(ctx, &bres))
	assert.Equal(t, contract.StatusCompleted, bres.Status)
	assert.Zero(t, bres.PartitionsFailed)
	// The workers rollout.sh started keep their catalog in its data directory.
	rolled := &stack{catalog: filepath.Join(r.data, "iceberg", "catalog.db"), warehouse: filepath.Join(r.data, "iceberg", "warehouse")}
	assert.Equal(t, bres.TotalRows, rolled.tableRows(t, "analytics.rollout_daily"), "every partition's rows once, across the two builds")
	assert.Equal(t, "build-a", pinnedTo(t, c, waiting.GetID()), "the pipeline finished on the build that started it")
	if upgradesAtContinueAsNew {
		// Resumed, the backfill learns that B is the target, continues as new with
		// AutoUpgrade, and its next run is pinned to B: A need not stay up for it.
		assert.Equal(t, "build-b", pinnedTo(t, c, backfillID), "the backfill moved to B at its continue-as-new")
		assert.GreaterOrEqual(t, bres.Runs, 2, "a continue-as-new took it there")
	} else {
		assert.Equal(t, "build-a", pinnedTo(t, c, backfillID), "a server before 1.30 keeps the chain on its build")
	}
	for _, id := range []string{waiting.GetID(), backfillID} {
		noWorkflowTaskFailed(t, c, id)
	}

	assert.Equal(t, int64(0), pipelineVersions(t, s.srv)["build-a"], "A's pinned runs fell to zero as they finished")
	out, ok = r.run(t, nil, "drain", "worker-pipeline", "build-a", "--timeout", "2m")
	require.True(t, ok, out)
	assert.Contains(t, out, "build-a reports drained")
	assert.False(t, r.alive("build-a"), "A is stopped once drained")

	// Another manager (the Worker Controller) holds the deployment: the rollback
	// refuses to touch it, saying who does.
	r.manager(t, "temporal-worker-controller")
	out, ok = r.run(t, nil, "rollback", "worker-pipeline")
	require.False(t, ok, out)
	assert.Contains(t, out, "is managed by 'temporal-worker-controller'")
	assert.Equal(t, "temporal-worker-controller", r.managerOf(t), "its claim stands")
	r.manager(t, "")
	// A rollback that fails after claiming the deployment gives it back.
	out, ok = r.run(t, nil, "rollback", "worker-pipeline", "--to", "build-gone")
	require.False(t, ok, out)
	assert.Contains(t, out, "managed by rollout.sh@")
	assert.Empty(t, r.managerOf(t), "released on failure")

	out, ok = r.run(t, nil, "rollback", "worker-pipeline")
	require.True(t, ok, out)
	assert.Empty(t, r.managerOf(t), "released when done")
	assert.Contains(t, out, "replay gate for build-a (the open runs that would continue on it)")
	assert.Contains(t, out, "build-a is current")
	back := s.start(t, "pipeline-rollout-back", cfgFor(clean, "analytics.rollout_back"))
	require.NoError(t, back.Get(ctx, &res))
	assert.Equal(t, "build-a", pinnedTo(t, c, back.GetID()), "after the rollback new runs go to A")

	out, ok = r.run(t, nil, "status", "worker-pipeline")
	require.True(t, ok, out)
	assert.Contains(t, out, "current  build-a")
}

// pipelineVersions is `matih queues -o json`'s open runs pinned to each build of
// the pipeline worker's deployment.
func pipelineVersions(t *testing.T, srv *testkit.DevServer) map[string]int64 {
	t.Helper()
	cmd := exec.Command(testkit.Build(t, matihBin), "queues", "-o", "json", "--address", srv.HostPort, "--namespace", srv.Namespace)
	cmd.Env = append(os.Environ(), srv.ClientEnv(t, "reader", "console")...)
	out, err := cmd.Output()
	require.NoError(t, err, "matih queues: %s", out)
	var fleet struct {
		Deployments []struct {
			Name     string `json:"name"`
			Versions []struct {
				BuildID    string `json:"buildId"`
				PinnedOpen int64  `json:"pinnedOpen"`
			} `json:"versions"`
		} `json:"deployments"`
	}
	require.NoError(t, json.Unmarshal(out, &fleet))
	got := map[string]int64{}
	for _, d := range fleet.Deployments {
		if d.Name == "matih-worker-pipeline" {
			for _, v := range d.Versions {
				got[v.BuildID] = v.PinnedOpen
			}
		}
	}
	return got
}
