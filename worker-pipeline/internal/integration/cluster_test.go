package integration

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestRunsSurviveHostsDyingOnTheCluster runs pipelines on the production server's
// shape (each service its own process, two frontends behind haproxy, two history
// hosts, TLS and authorization, PostgreSQL) while its hosts die: a history host is
// SIGKILLed and back 5 s later, twice, with one run waiting for approval and another
// extracting; a frontend dies while the worker and the test's clients hold long
// polls through the balancer; the matching host restarts. Every run completes as
// it would have, with no workflow task failed and every row loaded once.
func TestRunsSurviveHostsDyingOnTheCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: a Temporal cluster of separate processes on PostgreSQL")
	}
	cl := testkit.StartPostgresCluster(t)
	t.Cleanup(func() { // what the nodes said, when the test fails
		if t.Failed() {
			for _, n := range []string{"fe1", "fe2", "hist1", "hist2", "match"} {
				out, _ := exec.Command("sh", "-c", "grep -h '\"level\":\"\\(error\\|warn\\)\"' "+filepath.Join(cl.Credentials, "cluster", n+".log")+" | cut -c1-400 | tail -8").Output()
				t.Logf("%s:\n%s", n, out)
			}
		}
	})
	s := newStackOn(t, cl.DevServer)
	s.startWorker(t, nil)
	dirty, want := s.source(t, 2000, 0.3)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	waiting := s.start(t, "pipeline-cluster-waiting", cfgFor(dirty, "analytics.cluster_waiting"))
	waitPhase(t, cl.Client, waiting.GetID(), contract.PhaseAwaitingApproval)
	clean, cleanRows := s.source(t, 5000, 0)
	moving := s.start(t, "pipeline-cluster-moving", cfgFor(clean, "analytics.cluster_moving"))

	for i := 0; i < 2; i++ {
		cl.Kill(t, testkit.NodeHistory1)
		time.Sleep(5 * time.Second)
		cl.Start(t, testkit.NodeHistory1)
	}
	cl.Kill(t, testkit.NodeFrontend1)
	cl.Kill(t, testkit.NodeMatching)
	cl.Start(t, testkit.NodeMatching)

	// The decision goes through the balancer to the frontend left, and may meet a
	// shard still moving: the console would show the error and let the person retry.
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		h, err := cl.Client.UpdateWorkflow(ctx, updateOpts(waiting.GetID(), contract.ApprovalSignal{Approved: true, Approver: "ana@bastion", Reason: "cluster drill"}))
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			t.Logf("approval: %v", err)
		}
		return err == nil
	}, 60*time.Second, time.Second, "the approval goes through once the cluster settles")

	var res contract.PipelineResult
	require.NoError(t, waiting.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, want, s.tableRows(t, "analytics.cluster_waiting"), "every source row once")
	require.NoError(t, moving.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, cleanRows, s.tableRows(t, "analytics.cluster_moving"), "every source row once")
	for _, id := range []string{waiting.GetID(), moving.GetID()} {
		noWorkflowTaskFailed(t, cl.Client, id)
	}
	cl.Start(t, testkit.NodeFrontend1)
}
