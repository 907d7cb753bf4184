// Package integration runs backfills through the real worker binary against a real
// Temporal dev server, a SQLite source and an Iceberg catalog.
package integration

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/demo"
	"github.com/matih/ops/worker-pipeline/lakehouse"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// workerBinary builds cmd/worker-pipeline once per test run.
func workerBinary(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "worker-pipeline-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "worker-pipeline")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline").CombinedOutput()
		if err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("build worker-pipeline: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (b *buildError) Error() string { return b.err.Error() + ": " + b.out }

// stack is a dev server plus the folders worker processes write to.
type stack struct {
	srv       *testkit.DevServer
	dir       string
	catalog   string
	warehouse string
}

func newStack(t *testing.T) *stack {
	dir := t.TempDir()
	return &stack{srv: testkit.StartDevServer(t), dir: dir, catalog: filepath.Join(dir, "catalog.db"), warehouse: filepath.Join(dir, "warehouse")}
}

// process is a running worker-pipeline.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startWorker runs the worker binary and waits until it is ready.
func (s *stack) startWorker(t *testing.T) *process {
	addr := testkit.FreeAddr(t)
	cmd := exec.Command(workerBinary(t), "--address", s.srv.HostPort, "--http-addr", addr, "--stop-timeout", "2s",
		"--staging-dir", filepath.Join(s.dir, "staging"), "--catalog-uri", s.catalog, "--warehouse", s.warehouse, "--log-level", "warn")
	logf, err := os.Create(filepath.Join(s.dir, "worker-"+time.Now().Format("150405.000")+".log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(p.kill)
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "worker never became ready; log in %s", s.dir)
	return p
}

// kill ends the worker with SIGKILL, as a crash would.
func (p *process) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// source creates a demo orders database of days x perDay orders from 2026-01-01.
func source(t *testing.T, days, perDay int) string {
	path := filepath.Join(t.TempDir(), "orders.db")
	require.NoError(t, demo.CreateOrders(context.Background(), path, demo.OrdersSpec{Rows: days * perDay, Days: days, Seed: 7,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}))
	return path
}

// sourceRows counts the source's orders in [start, end).
func sourceRows(t *testing.T, path string, start, end time.Time) int64 {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var n int64
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM orders WHERE order_date >= ? AND order_date < ?`,
		start.Format("2006-01-02"), end.Format("2006-01-02")).Scan(&n))
	return n
}

// tableRows counts an Iceberg table's rows in [start, end) through the worker's catalog.
func (s *stack) tableRows(t *testing.T, table string, start, end time.Time) int64 {
	cat, closeCat, err := lakehouse.Open(context.Background(), lakehouse.Config{URI: s.catalog, Warehouse: s.warehouse})
	require.NoError(t, err)
	defer closeCat()
	n, err := lakehouse.CountRowsIn(context.Background(), cat, table, "order_date", start, end)
	require.NoError(t, err)
	return n
}
