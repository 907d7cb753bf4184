package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/cli"
	rerunpkg "github.com/matih/ops/tui/internal/rerun"
)

// gridCounts reads "done N · running N · failed N" from the grid's header.
var gridCounts = regexp.MustCompile(`done (\d+) · running (\d+) · failed (\d+)`)

func counts(t *testing.T, screen string) (done, running, failed int) {
	t.Helper()
	m := gridCounts.FindStringSubmatch(screen)
	require.NotNil(t, m, "no counts on the grid:\n%s", screen)
	done, _ = strconv.Atoi(m[1])
	running, _ = strconv.Atoi(m[2])
	failed, _ = strconv.Atoi(m[3])
	return done, running, failed
}

// TestTheBackfillGridOnTheRealStack drives the grid at 80x24 against the real
// pipeline worker: a 500-partition backfill fills in live; a pause stops new
// partitions within one refresh; resumed, it ends with the two days whose source
// rows cannot be read failed; once the source is mended, R reruns them from the
// grid and the new run ends with both done and nothing else redone.
func TestTheBackfillGridOnTheRealStack(t *testing.T) {
	needTmux(t)
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Skip("sqlite3 is not installed")
	}
	bin := buildMatih(t)
	pipelineWorker := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline")
	demoData := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/demo-data")
	srv := testkit.StartDevServer(t)

	dir := t.TempDir()
	db := filepath.Join(dir, ".data", "demo", "grid.db")
	out, err := exec.Command(demoData, "--out", db, "--rows", "5000", "--days", "500").CombinedOutput()
	require.NoError(t, err, string(out))
	sqlite := func(sql string) {
		out, err := exec.Command("sqlite3", db, sql).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	broken := "order_date IN ('2026-03-01', '2026-03-02')"
	sqlite("UPDATE orders SET amount = 'unreadable' WHERE " + broken)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".data", "connections.yaml"), []byte("grid_src:\n  kind: sqlite\n  path: demo/grid.db\n"), 0o600))
	addr := testkit.FreeAddr(t)
	startProcess(t, dir, []string{"TEMPORAL_ADDRESS=" + srv.HostPort, "TEMPORAL_NAMESPACE=" + srv.Namespace, "MATIH_DATA_DIR=" + filepath.Join(dir, ".data")},
		pipelineWorker, "--http-addr", addr)
	waitReady(t, addr)
	testkit.PromoteReady(t, srv.Client, addr)

	cfg := filepath.Join(dir, "backfill.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`pipeline_id: grid
source: {connection: grid_src, table: orders}
partition_column: order_date
start_date: "2026-01-01"
end_date: "2027-05-16"
partition_size: day
destination: {table: demo.grid_e2e}
max_parallel: 2
partitions_per_task: 4
failure_budget: 10
reprocess: all
`), 0o600))
	conn := []string{"--address", srv.HostPort, "--namespace", srv.Namespace, "--audit-log", filepath.Join(dir, "audit.log")}
	out, err = exec.Command(bin, append(conn, "start", "backfill", "-f", cfg)...).CombinedOutput()
	require.NoError(t, err, string(out))
	id := strings.TrimSpace(string(out))

	x := newTmux(t, "grid", fmt.Sprintf("%s %s; sleep 30", bin, strings.Join(conn, " ")))
	x.waitFor(30*time.Second, "grid")
	x.keys("b")
	first, _, _ := counts(t, x.waitFor(30*time.Second, "BACKFILL", "of 500"))
	var screen string
	require.Eventually(t, func() bool {
		screen = x.screen()
		done, _, _ := counts(t, screen)
		return done > first+5
	}, 60*time.Second, time.Second, "the grid fills in live")

	x.keys("p")
	x.waitFor(10*time.Second, "Pause this backfill")
	x.text("grid e2e")
	x.keys("Enter")
	x.waitFor(15*time.Second, "PAUSED")
	require.Eventually(t, func() bool { _, running, _ := counts(t, x.screen()); return running == 0 },
		15*time.Second, 500*time.Millisecond, "partitions in flight finish, no new one starts")
	paused, _, _ := counts(t, x.screen())
	time.Sleep(5 * time.Second) // two refreshes of the grid
	still, running, _ := counts(t, x.screen())
	assert.Equal(t, paused, still, "no partition finished while paused")
	assert.Zero(t, running)

	x.keys("u")
	x.waitFor(10*time.Second, "Resume this backfill")
	x.keys("Enter")
	screen = x.waitFor(120*time.Second, "R rerun failed")
	done, _, failed := counts(t, screen)
	assert.Equal(t, 2, failed, "the two days whose rows cannot be read:\n%s", screen)
	assert.Equal(t, 498, done)

	// Each attempt of the failed days, the last one's error included.
	x.keys("e")
	screen = x.waitFor(10*time.Second, "ATTEMPTS")
	assert.Contains(t, screen, "2026-03-01 · ")
	assert.Contains(t, screen, "#1 (last) extract partition 2026-03-01")
	x.keys("e")
	x.waitFor(10*time.Second, "R rerun failed")

	// The command line's twin previews the same plan and starts nothing.
	out, err = exec.Command(bin, append(conn, "-o", "json", "rerun", "--dry-run", id)...).Output()
	require.NoError(t, err, string(out))
	var plan cli.RerunResult
	require.NoError(t, json.Unmarshal(out, &plan), string(out))
	assert.Equal(t, rerunpkg.Plan{Reprocess: contract.ReprocessFailed, Failed: 2, Done: 498, FirstFailedKeys: plan.Plan.FirstFailedKeys}, plan.Plan)
	assert.Len(t, plan.Plan.FirstFailedKeys, 2)
	assert.Empty(t, plan.Started, "a dry run starts nothing")

	sqlite("UPDATE orders SET amount = 1.5 WHERE " + broken)
	x.keys("R")
	screen = x.waitFor(10*time.Second, "Rerun what this backfill left undone")
	assert.Contains(t, strings.Join(strings.Fields(screen), " "), "reprocess: failed")
	x.keys("Enter")
	screen = x.waitFor(15*time.Second, "rerun started:")
	rerun := regexp.MustCompile(`rerun started: (\S+)`).FindStringSubmatch(screen)
	require.NotNil(t, rerun, screen)
	x.quit()

	out, err = exec.Command(bin, append(conn, "watch", rerun[1])...).CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command(bin, append(conn, "-o", "json", "backfill", rerun[1])...).Output()
	require.NoError(t, err, string(out))
	var grid struct {
		Status     string
		Partitions status.PartitionSummary
	}
	require.NoError(t, json.Unmarshal(out, &grid), string(out))
	assert.Equal(t, status.WorkflowCompleted, grid.Status)
	assert.Zero(t, grid.Partitions.Failed)
	assert.Equal(t, 2, grid.Partitions.Done, "only the failed days ran again")
	assert.Equal(t, 498, grid.Partitions.Skipped)
	assert.NotEqual(t, id, rerun[1])

	// Rerun by the command line: the rerun left nothing undone.
	out, err = exec.Command(bin, append(conn, "rerun", rerun[1])...).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "nothing to rerun: every partition of "+rerun[1]+" is done or skipped")
}
