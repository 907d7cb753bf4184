package e2e

import (
	"context"
	"net/http"
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
	"github.com/matih/ops/tui/internal/api"
)

// runUnknownConnection starts a pipeline naming a connection no worker defines.
// Given the workers' connections file (--connections), matih start and the API
// refuse it naming the field, with nothing started. Without it only the worker
// knows its connections, so the start is taken; the run then fails in its first
// step, without a retry, naming the field and the connections there are, and
// stages or loads nothing.
func (s *sweep) runUnknownConnection(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.NewReplacer("demo_orders_dirty", "warehouse_prod", "pipeline_id: sweep", "pipeline_id: sweep-unknown-connection",
		"demo.sweep", "demo.sweep_unknown_connection").Replace(goodPipeline)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(cfg), 0o600))
	workersConns := filepath.Join(s.dataDir, "connections.yaml")
	t.Run("refused before the start", func(t *testing.T) {
		s.unknownConnectionRefused(t, dir, workersConns)
	})
	cmd := exec.Command(s.matih, append(s.conn(filepath.Join(dir, "audit.log")), "start", "pipeline", "-f", "p.yaml")...)
	cmd.Dir = dir
	code, out, errOut := exitCode(t, cmd)
	require.Equal(t, 0, code, errOut)
	id := strings.TrimSpace(out)
	s.allowed[id] = true

	var doc status.Document
	require.Eventually(t, func() bool {
		var err error
		doc, err = statusread.Build(context.Background(), s.srv.Client, id, "")
		return err == nil && doc.Status == status.WorkflowFailed
	}, 30*time.Second, 200*time.Millisecond, "the run fails at once")
	assertNamed(t, doc.Failure, "source.connection", `"warehouse_prod"`, "demo_orders_dirty")
	require.NotEmpty(t, doc.Activities)
	assert.Equal(t, contract.ActivityExtractData, doc.Activities[0].Name)
	assert.EqualValues(t, 1, doc.Activities[0].Attempts, "a ValidationError is not retried")
	require.NoError(t, filepath.WalkDir(s.dataDir, func(path string, _ os.DirEntry, err error) error {
		assert.NotContains(t, path, "unknown_connection", "staged or loaded for the refused run")
		assert.NotContains(t, path, "sweep-unknown-connection", "staged or loaded for the refused run")
		return err
	}))
}

// unknownConnectionRefused: with the workers' connections file, matih start
// (exit 2) and the API given it (400) refuse the config in dir/p.yaml and a
// backfill naming connections no worker has, before anything starts.
func (s *sweep) unknownConnectionRefused(t *testing.T, dir, workersConns string) {
	cmd := exec.Command(s.matih, append(s.conn(filepath.Join(dir, "audit.log")), "start", "pipeline", "-f", "p.yaml", "--connections", workersConns)...)
	cmd.Dir = dir
	code, out, errOut := exitCode(t, cmd)
	assert.Equal(t, 2, code, "exit code; stderr: %.500s", errOut)
	assertNamed(t, errOut, "source.connection", "a connection the workers define (demo_orders_clean, demo_orders_dirty", `got "warehouse_prod"`)
	assert.Empty(t, out, "no workflow id printed")

	// A migration on extraction's login: the connection is not for migrations.
	m := strings.Replace(goodMigration, "connection: sales", "connection: demo_orders_dirty", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(m), 0o600))
	cmd = exec.Command(s.matih, append(s.conn(filepath.Join(dir, "audit.log")), "start", "migration", "-f", "m.yaml", "--connections", workersConns)...)
	cmd.Dir = dir
	code, out, errOut = exitCode(t, cmd)
	assert.Equal(t, 2, code, "exit code; stderr: %.500s", errOut)
	assertNamed(t, errOut, "connection", "a connection for migrate (use: [migrate]); demo_orders_dirty is for extract")
	assert.Empty(t, out, "no workflow id printed")

	cmd = exec.Command(s.matih, append(s.conn(filepath.Join(dir, "audit.log")), "start", "pipeline", "-f", "p.yaml", "--connections", "missing.yaml")...)
	cmd.Dir = dir
	code, _, errOut = exitCode(t, cmd)
	assert.Equal(t, 2, code, "exit code; stderr: %.500s", errOut)
	assertNamed(t, errOut, "--connections: open ", "missing.yaml: no such file or directory")

	addr := testkit.FreeAddr(t)
	tokens := filepath.Join(dir, "tokens.yaml")
	require.NoError(t, os.WriteFile(tokens, []byte("tokens:\n  - {name: sweep, role: operate, sha256: "+api.Digest(sweepToken)+"}\n"), 0o600))
	startProcess(t, dir, nil, s.matih, append(s.conn(filepath.Join(dir, "serve-audit.log")), "serve", "--listen", addr, "--tokens", tokens,
		"--connections", workersConns)...)
	waitReady(t, addr)
	body := strings.NewReplacer("demo_orders_dirty", "warehouse_prod").Replace(`{"pipeline_id":"sweep-unknown-connection","source":{"connection":"demo_orders_dirty","table":"orders"},` +
		`"partition_column":"created_at","start_date":"2026-01-01","end_date":"2026-01-03","partition_size":"day","destination":{"table":"demo.sweep_unknown_connection"}}`)
	code, answer := apiCall(t, "POST", "http://"+addr+api.PathBackfills, sweepToken, body)
	assert.Equal(t, http.StatusBadRequest, code, "%.500s", answer)
	e := decodeAPIError(t, answer)
	assert.Equal(t, "source.connection", e.Field, "%.500s", answer)
	assertNamed(t, e.Message, `got "warehouse_prod"`)
	assert.NotContains(t, e.Message, s.dataDir, "the API never says where its files are")
}
