// Package e2e runs the built matih binary in tmux at 80x24 against a real Temporal
// dev server with a worker speaking the pipeline contract, and drives it by keys.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/statusread"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
)

type tmux struct {
	t      *testing.T
	socket string
}

func (x tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

func (x tmux) keys(keys ...string) { x.run(append([]string{"send-keys", "-t", "e2e"}, keys...)...) }
func (x tmux) text(s string)       { x.run("send-keys", "-t", "e2e", "-l", s) }
func (x tmux) screen() string      { return x.run("capture-pane", "-p", "-t", "e2e") }

// waitFor polls the pane until every want appears.
func (x tmux) waitFor(timeout time.Duration, want ...string) string {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := x.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("screen never showed %q:\n%s", want, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func buildMatih(t testing.TB) string {
	return testkit.Build(t, "github.com/matih/ops/tui/cmd/matih")
}

func needTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; the end-to-end console tests need it")
	}
}

// newTmux starts command in a private tmux server at 80x24.
func newTmux(t *testing.T, name, command string) tmux {
	x := tmux{t: t, socket: fmt.Sprintf("matih-e2e-%s-%d", name, os.Getpid())}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", x.socket, "kill-server").Run() })
	x.run("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", command)
	return x
}

// quit presses q and waits for the console to give the pane back.
func (x tmux) quit() {
	x.t.Helper()
	x.keys("q")
	deadline := time.Now().Add(5 * time.Second)
	for strings.TrimSpace(x.run("list-panes", "-t", "e2e", "-F", "#{pane_current_command}")) != "sleep" {
		if time.Now().After(deadline) {
			x.t.Fatalf("matih did not exit on q:\n%s", x.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestApproveByKeysInTmux(t *testing.T) {
	needTmux(t)
	bin := buildMatih(t)
	srv := testkit.StartDevServer(t)
	testkit.StartPipelineWorker(t, srv)
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.log")
	cfg := filepath.Join(dir, "low.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`pipeline_id: sales
source: {connection: demo_orders_dirty, table: orders}
quality_checks: [{type: not_null, columns: [amount]}, {type: unique, columns: [order_id]}]
min_quality_score: 0.9
approval_timeout: 2h
destination: {table: analytics.sales}
`), 0o600))

	// A low-quality pipeline, started through the scriptable twin.
	conn := []string{"--address", srv.HostPort, "--namespace", srv.Namespace, "--audit-log", auditPath}
	out, err := exec.Command(bin, append(conn, "start", "pipeline", "-f", cfg)...).Output()
	require.NoError(t, err)
	id := strings.TrimSpace(string(out))

	x := newTmux(t, "keys", fmt.Sprintf("SSH_CLIENT='10.1.2.3 5555 22' %s %s; sleep 30", bin, strings.Join(conn, " ")))

	// A run waits, so the console opens on the approvals inbox with its evidence, and
	// the help bar says which key approves it: a, the reason, enter.
	screen := x.waitFor(20*time.Second, "APPROVALS · 1 waiting", "FAIL ", "a approve")
	t.Logf("inbox:\n%s", screen)
	x.keys("a")
	x.waitFor(10*time.Second, "Approve this run")
	x.text("quality gap known and accepted")
	x.keys("Enter")
	x.waitFor(15*time.Second, "approved ")

	x.keys("Escape") // to the workflows list
	x.waitFor(10*time.Second, "[running")
	x.keys("BTab") // the "all" tab, where the run stays in view once it completes
	x.waitFor(10*time.Second, "[all 1]")
	x.keys("Enter")
	screen = x.waitFor(20*time.Second, "COMPLETED  phase COMPLETED", "approved by")
	t.Logf("detail:\n%s", screen)
	x.quit()

	doc, err := statusread.Build(context.Background(), srv.Client, id, "")
	require.NoError(t, err)
	require.Equal(t, status.WorkflowCompleted, doc.Status)
	var res contract.PipelineResult
	require.NoError(t, json.Unmarshal(doc.Result, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "quality gap known and accepted", res.ApprovalReason)
	assert.Contains(t, res.Approver, "@")
	assert.Contains(t, res.Approver, "(local, unverified; ssh 10.1.2.3)", "a local identity is labelled unverified")

	audit, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.Contains(t, string(audit), `"action":"approve","workflow":"`+id+`","reason":"quality gap known and accepted","outcome":"ok"`)
}
