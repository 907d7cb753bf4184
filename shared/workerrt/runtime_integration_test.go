package workerrt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/temporalclient"
	"github.com/matih/ops/shared/testkit"
)

// echoWorkflow calls an activity that fails once, so a retry is counted.
func echoWorkflow(ctx workflow.Context, in string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 3},
	})
	var out string
	err := workflow.ExecuteActivity(ctx, "test_echo", in).Get(ctx, &out)
	return out, err
}

func get(t *testing.T, url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWorkerRuntimeAgainstDevServer(t *testing.T) {
	srv := testkit.StartDevServer(t)
	httpAddr := testkit.FreeAddr(t)
	var calls atomic.Int32
	spec := Spec{
		Name:      "worker-test",
		TaskQueue: "runtime-test",
		Setup: func(ctx context.Context, env Env, reg worker.Registry) (func(), error) {
			reg.RegisterWorkflowWithOptions(echoWorkflow, workflow.RegisterOptions{Name: "TestEchoWorkflow"})
			reg.RegisterActivityWithOptions(func(ctx context.Context, in string) (string, error) {
				// Dropping the worker's cache makes the next workflow task replay
				// the workflow from its start: the seed metrics must not count twice.
				worker.PurgeStickyWorkflowCache()
				if calls.Add(1) == 1 {
					return "", errors.New("transient")
				}
				return "echo:" + in, nil
			}, activity.RegisterOptions{Name: "test_echo"})
			return nil, nil
		},
	}
	var stderr bytes.Buffer
	opts, err := Parse(spec, []string{"--address", srv.HostPort, "--http-addr", httpAddr, "--stop-timeout", "2s", "--log-level", "warn", "--build-id", "b1"}, &stderr)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunWith(ctx, spec, opts) }()
	defer func() { cancel(); <-done }()

	require.Eventually(t, func() bool {
		code, _ := get(t, "http://"+httpAddr+"/readyz")
		return code == 200
	}, 20*time.Second, 200*time.Millisecond, "worker never became ready")
	_, ready := get(t, "http://"+httpAddr+"/readyz")
	assert.Equal(t, "ready deployment=matih-worker-test build_id=b1\n", ready, "readyz names the version it polls as")
	testkit.PromoteReady(t, srv.Client, httpAddr)
	code, body := get(t, "http://"+httpAddr+"/healthz")
	assert.Equal(t, 200, code)
	assert.Equal(t, "ok\n", body)
	// The seed's series exist at zero before anything ran, for alerts and dashboards.
	_, fresh := get(t, "http://"+httpAddr+"/metrics")
	for _, name := range []string{"matih_workflow_started", "matih_workflow_completed", "matih_workflow_failed", "matih_workflow_duration_count"} {
		assert.Equal(t, "0", sample(fresh, name, `workflow_type="TestEchoWorkflow"`, `task_queue="runtime-test"`), name)
	}
	for _, name := range []string{"matih_activity_retries", "matih_activity_execution_count"} {
		assert.Equal(t, "0", sample(fresh, name, `activity_type="test_echo"`, `task_queue="runtime-test"`), name)
	}

	run, err := srv.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: "runtime-test"}, "TestEchoWorkflow", "hi")
	require.NoError(t, err)
	var out string
	require.NoError(t, run.Get(context.Background(), &out))
	assert.Equal(t, "echo:hi", out)

	// Workflow-completion metrics are recorded after the result is sent; give the
	// worker a moment to finish the task.
	var metrics string
	require.Eventually(t, func() bool {
		_, metrics = get(t, "http://"+httpAddr+"/metrics")
		return strings.Contains(metrics, "matih_workflow_completed{") && strings.Contains(metrics, "temporal_workflow_completed{")
	}, 10*time.Second, 100*time.Millisecond)
	wfLabels := []string{`workflow_type="TestEchoWorkflow"`, `namespace="matih-pipelines"`, `task_queue="runtime-test"`}
	actLabels := []string{`activity_type="test_echo"`, `task_queue="runtime-test"`, `workflow_type="TestEchoWorkflow"`}
	echoSeries := 0
	for _, l := range strings.Split(grepLines(metrics, "matih_workflow_started{"), "\n") {
		if strings.Contains(l, `workflow_type="TestEchoWorkflow"`) {
			echoSeries++
		}
	}
	assert.Equal(t, 1, echoSeries, "the series made at start is the one that counts")
	assert.Contains(t, grepLines(metrics, "matih_workflow_started{"), `workflow_type="RolloutGateWorkflow"`, "every worker registers the rollout gate")
	assert.Equal(t, "1", sample(metrics, "matih_workflow_started", wfLabels...), "replays count nothing")
	assert.NotContains(t, []string{"", "0"}, sample(metrics, "temporal_sticky_cache_miss"), "the workflow was replayed from its start at least once")
	assert.Equal(t, "1", sample(metrics, "matih_workflow_completed", wfLabels...))
	assert.Equal(t, "1", sample(metrics, "matih_workflow_duration_count", wfLabels...))
	assert.Equal(t, "1", sample(metrics, "matih_activity_retries", actLabels...))
	assert.Equal(t, "2", sample(metrics, "matih_activity_execution_count", actLabels...))
	assert.NotEmpty(t, sample(metrics, "temporal_request"), "the SDK's own metrics are exposed")
	assert.NotEmpty(t, sample(metrics, "temporal_workflow_completed", wfLabels...))
	assert.NotEmpty(t, sample(metrics, "go_goroutines"))
	assert.Equal(t, "1", sample(metrics, "matih_worker_build_info", `deployment="matih-worker-test"`, `build_id="b1"`))
	d, err := srv.Client.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
	require.NoError(t, err)
	v := d.GetWorkflowExecutionInfo().GetVersioningInfo()
	assert.Equal(t, enumspb.VERSIONING_BEHAVIOR_PINNED, v.GetBehavior(), "workflows default to Pinned")
	assert.Equal(t, "b1", v.GetDeploymentVersion().GetBuildId())

	checkReplayGate(t, srv, run.GetID())

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("worker did not stop after cancel")
	}
	done <- nil // let the deferred cleanup's receive return
	code, _ = get(t, "http://"+httpAddr+"/readyz")
	assert.Equal(t, 0, code, "HTTP listener closed after stop")
}

// A worker started while its server is down waits for it: not ready, saying why, and
// polling within one backoff step of the server coming up, instead of exiting into
// a crash loop.
func TestAWorkerStartedBeforeItsServerWaitsForIt(t *testing.T) {
	srv := testkit.StartDurableDevServer(t)
	srv.Down()
	httpAddr := testkit.FreeAddr(t)
	spec := Spec{Name: "worker-test", TaskQueue: "waits", Setup: func(context.Context, Env, worker.Registry) (func(), error) { return nil, nil }}
	opts, err := Parse(spec, []string{"--address", srv.HostPort, "--http-addr", httpAddr, "--stop-timeout", "1s", "--log-level", "error"}, io.Discard)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunWith(ctx, spec, opts) }()

	var code int
	var body string
	require.Eventually(t, func() bool {
		code, body = get(t, "http://"+httpAddr+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "waiting: Temporal:")
	}, 15*time.Second, 100*time.Millisecond, "not ready, saying it waits for Temporal: %d %s", code, body)
	time.Sleep(3 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("the worker gave up while the server was down: %v", err)
	default:
	}

	srv.Up()
	up := time.Now()
	require.Eventually(t, func() bool {
		code, _ = get(t, "http://"+httpAddr+"/readyz")
		return code == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "ready once the server is up")
	t.Logf("ready %s after the server came up", time.Since(up).Round(100*time.Millisecond))
	assert.Less(t, time.Since(up), maxRetry+10*time.Second, "within one backoff step (and the readiness check)")
	cancel()
	assert.NoError(t, <-done)
}

// sample returns the value of the first sample of metric carrying all labels, or "".
func sample(exposition, metric string, labels ...string) string {
	for _, line := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(line, metric+"{") && !strings.HasPrefix(line, metric+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			return line[strings.LastIndex(line, " ")+1:]
		}
	}
	return ""
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// checkReplayGate replays the finished echo run against the same code and against a
// changed one: the change is drift, named with the fixture and the event.
func checkReplayGate(t *testing.T, srv *testkit.DevServer, workflowID string) {
	fixture := filepath.Join(t.TempDir(), "echo.json")
	testkit.WriteHistory(t, srv.Client, workflowID, "", fixture)
	same := Spec{Name: "worker-test", TaskQueue: "runtime-test", Workflows: func(reg worker.WorkflowRegistry) {
		reg.RegisterWorkflowWithOptions(echoWorkflow, workflow.RegisterOptions{Name: "TestEchoWorkflow"})
	}}
	var out bytes.Buffer
	require.NoError(t, RunReplay(context.Background(), same, ReplayOptions{Paths: []string{filepath.Dir(fixture)}, Strict: true}, &out))
	assert.Contains(t, out.String(), "ok     fixture "+fixture+"  TestEchoWorkflow")

	changed := Spec{Name: "worker-test", TaskQueue: "runtime-test", Workflows: func(reg worker.WorkflowRegistry) {
		reg.RegisterWorkflowWithOptions(func(ctx workflow.Context, in string) (string, error) {
			// A new first step: the recorded run scheduled test_echo there.
			ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Second})
			return "", workflow.ExecuteActivity(ctx, "test_audit", in).Get(ctx, nil)
		}, workflow.RegisterOptions{Name: "TestEchoWorkflow"})
	}}
	out.Reset()
	require.NoError(t, RunReplay(context.Background(), changed, ReplayOptions{Paths: []string{fixture}}, &out), "drift alone does not fail the gate")
	assert.Contains(t, out.String(), "DRIFT  fixture "+fixture)
	assert.Contains(t, out.String(), "nondeterministic workflow")
	assert.Contains(t, out.String(), "ActivityTaskScheduled", "the event that no longer matches is named")
	err := RunReplay(context.Background(), changed, ReplayOptions{Paths: []string{fixture}, Strict: true}, io.Discard)
	require.ErrorContains(t, err, "--strict")

	out.Reset()
	live := ReplayOptions{Live: true, ClosedWithin: time.Hour, Limit: 10, BuildID: "b2",
		Temporal: temporalclient.Config{Address: srv.HostPort, Namespace: srv.Namespace}}
	require.NoError(t, RunReplay(context.Background(), changed, live, &out), "a closed run is drift")
	assert.Contains(t, out.String(), "DRIFT  live "+workflowID+"/")
}
