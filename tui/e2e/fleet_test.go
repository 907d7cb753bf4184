package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/data"
)

// TestAStoppedNotifyWorkerTurnsItsQueueRed: worker-notify dies while a
// low-quality run's alert waits to be delivered. The fleet view (F, in tmux at
// 80x24) keeps the queue as it was while the worker's last poll is recent, and
// turns it red, saying how long it has been silent, once that passes
// data.PollerGone; `matih queues` says the same. It waits those 3 minutes, beside
// the package's other tests.
func TestAStoppedNotifyWorkerTurnsItsQueueRed(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 3 minutes for the stopped worker to count as gone")
	}
	needTmux(t)
	t.Parallel()
	bin := buildMatih(t)
	pipelineWorker := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline")
	demoData := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/demo-data")
	notifyWorker := testkit.Build(t, "github.com/matih/ops/worker-notify/cmd/worker-notify")
	srv := testkit.StartDevServer(t)
	dir, examples := startRealWorkers(t, srv, demoData, pipelineWorker)
	addr := testkit.FreeAddr(t)
	notify := startProcess(t, dir, []string{"TEMPORAL_ADDRESS=" + srv.HostPort, "TEMPORAL_NAMESPACE=" + srv.Namespace,
		"MATIH_DATA_DIR=" + filepath.Join(dir, ".data")}, notifyWorker, "--http-addr", addr)
	waitReady(t, addr)
	testkit.PromoteReady(t, srv.Client, addr)

	conn := []string{"--address", srv.HostPort, "--namespace", srv.Namespace, "--audit-log", filepath.Join(dir, "audit.log")}
	require.NoError(t, notify.Process.Kill())
	stopped := time.Now()
	out, err := exec.Command(bin, append(conn, "start", "pipeline", "-f", filepath.Join(examples, "orders-low-quality.yaml"))...).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Eventually(t, func() bool { return notifyQueue(t, bin, conn).Running >= 1 }, 90*time.Second, time.Second,
		"the run's alert waits on the notify queue")

	x := newTmux(t, "fleet", fmt.Sprintf("%s %s; sleep 30", bin, strings.Join(conn, " ")))
	x.waitFor(30*time.Second, "APPROVALS")
	x.keys("Escape") // to the workflows list, where F opens the fleet
	x.waitFor(10*time.Second, "[running")
	x.keys("F")
	screen := x.waitFor(20*time.Second, contract.NotifyQueue)
	assert.NotContains(t, screen, "! "+contract.NotifyQueue, "a worker silent for less than 3 minutes may still be polling")
	screen = x.waitFor(data.PollerGone+time.Minute, "! "+contract.NotifyQueue+"  NO LIVE WORKER (last poll")
	took := time.Since(stopped)
	t.Logf("red %s after the worker stopped:\n%s", took.Round(time.Second), screen)
	assert.Less(t, took, data.PollerGone+30*time.Second, "red within a refresh or two of the worker counting as gone")
	assert.Contains(t, screen, "cannot move")
	assert.NotContains(t, screen, "! "+contract.PipelineQueue, "the live pipeline worker's queue stays as it is")
	x.quit()

	out, err = exec.Command(bin, append(conn, "queues")...).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Regexp(t, contract.NotifyQueue+`.*NO LIVE WORKER`, string(out))
}

// notifyQueue is the notify queue as `matih queues -o json` describes it.
func notifyQueue(t *testing.T, bin string, conn []string) data.Queue {
	out, err := exec.Command(bin, append(conn, "-o", "json", "queues")...).Output()
	require.NoError(t, err, string(out))
	var f struct{ Queues []data.Queue }
	require.NoError(t, json.Unmarshal(out, &f), string(out))
	for _, q := range f.Queues {
		if q.Name == contract.NotifyQueue {
			return q
		}
	}
	return data.Queue{}
}
