package integration

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestAWorkerUnderTheControllerRegistersItsVersionAndPassesTheGate: started as the
// Temporal Worker Controller starts a pod (TEMPORAL_DEPLOYMENT_NAME as
// NAMESPACE/RESOURCE, TEMPORAL_WORKER_BUILD_ID), the worker registers under that
// version, and RolloutGateWorkflow, started pinned to it as the controller starts
// its gate, completes on that worker. Another worker's deployment name stops it at
// start.
func TestAWorkerUnderTheControllerRegistersItsVersionAndPassesTheGate(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: the worker process on a dev server")
	}
	s := newStackWithoutNotify(t, testkit.StartDevServer(t))
	const deployment, build = "matih-workers/matih-worker-pipeline", "ctl-5d8f2c1"
	addr := testkit.FreeAddr(t)
	env := append(s.srv.ClientEnv(t, "worker", "worker-pipeline"), "TEMPORAL_DEPLOYMENT_NAME="+deployment, "TEMPORAL_WORKER_BUILD_ID="+build)
	p := testkit.Start(t, testkit.Build(t, workerBin), []string{"--address", s.srv.HostPort, "--http-addr", addr, "--data-dir", s.dir,
		"--connections", s.conns, "--catalog-uri", s.catalog, "--warehouse", s.warehouse, "--log-level", "warn"}, env, s.dir)
	p.WaitReady(t, addr, 30*time.Second)

	ctx := context.Background()
	require.Eventually(t, func() bool {
		d, err := s.srv.Client.WorkerDeploymentClient().GetHandle(deployment).Describe(ctx, client.WorkerDeploymentDescribeOptions{})
		if err != nil {
			return false
		}
		for _, v := range d.Info.VersionSummaries {
			if v.Version.BuildID == build {
				return true
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the version %s.%s is registered", deployment, build)

	out, err := exec.Command(testkit.Build(t, workerBin), "gate", "--address", s.srv.HostPort, "--namespace", s.srv.Namespace,
		"--deployment-name", deployment, "--build-id", build).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), contract.RolloutGateWorkflow+" rollout-gate-matih-workers.matih-worker-pipeline-"+build)
	assert.Contains(t, string(out), "gate on build "+build+": 0 open runs")

	stop, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	wrong := exec.CommandContext(stop, testkit.Build(t, workerBin), "--address", s.srv.HostPort, "--http-addr", testkit.FreeAddr(t), "--data-dir", s.dir)
	wrong.Env = append(wrong.Environ(), "TEMPORAL_DEPLOYMENT_NAME=matih-workers/matih-worker-notify", "TEMPORAL_WORKER_BUILD_ID="+build)
	out, err = wrong.CombinedOutput()
	require.Error(t, err, "another worker's deployment name stops it")
	assert.True(t, strings.Contains(string(out), "this is the worker-pipeline worker"), string(out))
}
