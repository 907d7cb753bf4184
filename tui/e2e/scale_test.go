package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/testkit"
)

// selectedID reads the run id on the row the cursor is on.
var selectedRow = regexp.MustCompile(`(?m)^> (\S+)`)

// TestConsoleAtScaleInTmux runs the console over a namespace of 10,000 running
// workflows plus two low-quality pipelines: it opens on the inbox, where the two runs
// are decided by keys in deadline order; then the list pages to the very last run and
// keeps it selected across refreshes, and calls out the queue nobody polls.
func TestConsoleAtScaleInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 10,000 workflows")
	}
	needTmux(t)
	bin := buildMatih(t)
	srv := testkit.StartDevServer(t)
	testkit.StartPipelineWorker(t, srv)
	dir := t.TempDir()
	conn := []string{"--address", srv.HostPort, "--namespace", srv.Namespace, "--audit-log", filepath.Join(dir, "audit.log")}
	var ids []string
	for i, timeout := range []string{"3h", "1h"} { // the second started has the sooner deadline
		cfg := filepath.Join(dir, fmt.Sprintf("p%d.yaml", i))
		require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`pipeline_id: low%d
source: {connection: demo_orders_dirty, table: orders}
quality_checks: [{type: not_null, columns: [amount]}]
min_quality_score: 0.9
approval_timeout: %s
destination: {table: analytics.low%d}
`, i, timeout, i)), 0o600))
		out, err := exec.Command(bin, append(conn, "start", "pipeline", "-f", cfg)...).Output()
		require.NoError(t, err)
		ids = append(ids, strings.TrimSpace(string(out)))
	}
	startMany(t, srv.Client, 0, 10_000)

	x := newTmux(t, "scale", fmt.Sprintf("%s %s; sleep 60", bin, strings.Join(conn, " ")))
	screen := x.waitFor(30*time.Second, "APPROVALS · 2 waiting", "a approve")
	assert.Regexp(t, `(?m)^> .*pipeline-low1\s*\n.*pipeline-low0`, screen, "soonest deadline first, and selected")
	x.keys("a")
	x.waitFor(10*time.Second, "Approve this run")
	x.text("checked the source")
	x.keys("Enter")
	x.waitFor(15*time.Second, "approved "+ids[1])
	x.waitFor(15*time.Second, "APPROVALS · 1 waiting", "pipeline-low0")
	x.keys("r")
	x.waitFor(10*time.Second, "Reject this run")
	x.text("wrong partition")
	x.keys("Enter")
	x.waitFor(15*time.Second, "rejected "+ids[0])
	x.waitFor(15*time.Second, "APPROVALS · 0 waiting")

	x.keys("Escape")
	x.waitFor(10*time.Second, "[running", "NO WORKER polling", "listing-bench-nobody-polls")
	x.keys("G")
	screen = x.waitFor(60*time.Second, "10000 loaded ·")
	last := selectedRow.FindStringSubmatch(screen)
	require.NotNil(t, last, screen)
	assert.Contains(t, last[1], "pipeline-load")
	time.Sleep(12 * time.Second) // two refreshes
	screen = x.waitFor(10*time.Second, "10000 loaded ·")
	again := selectedRow.FindStringSubmatch(screen)
	require.NotNil(t, again, screen)
	assert.Equal(t, last[1], again[1], "the last run stays selected across refreshes")
	x.quit()
}
