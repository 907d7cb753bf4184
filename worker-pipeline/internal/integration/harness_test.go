// Package integration runs the pipeline worker as a real process against a real
// Temporal dev server, SQLite sources and an Iceberg catalog.
package integration

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	_ "modernc.org/sqlite"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
)

// stack is a dev server plus the folders a worker process writes to.
type stack struct {
	srv       *testkit.DevServer
	dir       string
	catalog   string
	warehouse string
	conns     string // the worker's connections file
	sources   int    // connection slots used so far
	notified  *recorder
}

// sourceSlots is how many SQLite sources a stack's worker knows as connections
// (src00, src01, ...), whose files the tests create as they need them.
const sourceSlots = 16

func newStack(t testing.TB) *stack { return newStackOn(t, testkit.StartDevServer(t)) }

// newStackOn is newStack on a server the test started; extra connections join the
// source slots in the worker's connections file.
func newStackOn(t testing.TB, srv *testkit.DevServer, extra ...connections.Connection) *stack {
	s := newStackWithoutNotify(t, srv, extra...)
	s.notified.start(t, srv.Client)
	return s
}

// newStackWithoutNotify is newStackOn with notify-workers down until the test
// calls s.notified.start.
func newStackWithoutNotify(t testing.TB, srv *testkit.DevServer, extra ...connections.Connection) *stack {
	dir := t.TempDir()
	s := &stack{srv: srv, dir: dir, catalog: filepath.Join(dir, "catalog.db"), warehouse: filepath.Join(dir, "warehouse"), notified: &recorder{}}
	var conns []connections.Connection
	for i := 0; i < sourceSlots; i++ {
		conns = append(conns, testkit.SQLiteConn(slotName(i), s.slotPath(i)))
	}
	s.conns = testkit.ConnectionsFile(t, dir, append(conns, extra...)...)
	return s
}

func slotName(i int) string            { return fmt.Sprintf("src%02d", i) }
func (s *stack) slotPath(i int) string { return filepath.Join(s.dir, "sources", slotName(i)+".db") }

// source creates a demo orders database in the next connection slot and returns
// the connection's name and the row count.
func (s *stack) source(t testing.TB, rows int, nullRate float64) (string, int64) {
	require.Less(t, s.sources, sourceSlots, "more sources than connection slots")
	i := s.sources
	s.sources++
	n := createOrders(t, s.slotPath(i), rows, nullRate)
	return slotName(i), n
}

// workerBin is the package the tests build and run as a process.
const workerBin = "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline"

// startWorker runs the worker binary with extra flags and env, and waits until it
// polls.
func (s *stack) startWorker(t testing.TB, env []string, flags ...string) *testkit.Process {
	addr := testkit.FreeAddr(t)
	args := append([]string{"--address", s.srv.HostPort, "--http-addr", addr, "--stop-timeout", "2s",
		"--staging-url", filepath.Join(s.dir, "staging"), "--data-dir", s.dir, "--connections", s.conns, "--catalog-uri", s.catalog, "--warehouse", s.warehouse, "--log-level", "warn"}, flags...)
	// On the secure server the worker presents its own certificate and a worker token.
	env = append(s.srv.ClientEnv(t, "worker", "worker-pipeline"), env...)
	p := testkit.Start(t, testkit.Build(t, workerBin), args, env, s.dir)
	p.WaitReady(t, addr, 30*time.Second)
	testkit.PromoteReady(t, s.srv.Client, addr)
	return p
}

// recorder is the notify-workers side of the test: it records what the pipeline
// sent, so tests can check notifications without Slack.
type recorder struct {
	mu    sync.Mutex
	calls map[string][]map[string]any
}

func (r *recorder) start(t testing.TB, c client.Client) {
	r.calls = map[string][]map[string]any{}
	w := worker.New(c, contract.NotifyQueue, worker.Options{})
	for _, name := range []string{contract.ActivityNotifyQualityIssue, contract.ActivityNotifyPipelineCompletion, contract.ActivityNotifyFailure} {
		name := name
		w.RegisterActivityWithOptions(func(ctx context.Context, p map[string]any) (contract.NotificationResult, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.calls[name] = append(r.calls[name], p)
			return contract.NotificationResult{Delivered: []string{"test"}}, nil
		}, activity.RegisterOptions{Name: name})
	}
	testkit.RegisterNotificationDelivery(w)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
}

// waitCount waits until name was received n times, and fails if it is not within
// 30 s: runs hand notifications to delivery workflows and close without waiting.
func (r *recorder) waitCount(t testing.TB, name string, n int, msg string) {
	t.Helper()
	require.Eventually(t, func() bool { return r.count(name) >= n }, 30*time.Second, 50*time.Millisecond, msg)
	time.Sleep(200 * time.Millisecond) // a duplicate would arrive about now
	assert.Equal(t, n, r.count(name), msg)
}

func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls[name])
}

// source creates a demo orders database and returns its path and row count.
func source(t testing.TB, rows int, nullRate float64) (string, int64) {
	path := filepath.Join(t.TempDir(), "orders.db")
	return path, createOrders(t, path, rows, nullRate)
}

func createOrders(t testing.TB, path string, rows int, nullRate float64) int64 {
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, demo.CreateOrders(context.Background(), path, demo.OrdersSpec{Rows: rows, NullRate: nullRate, Seed: 11}))
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var n int64
	require.NoError(t, db.QueryRow("SELECT count(*) FROM orders").Scan(&n))
	return n
}

// tableRows counts an Iceberg table's rows through the same catalog the worker uses.
func (s *stack) tableRows(t testing.TB, table string) int64 {
	cat, closeCat, err := lakehouse.Open(context.Background(), lakehouse.Config{URI: s.catalog, Warehouse: s.warehouse})
	require.NoError(t, err)
	defer closeCat()
	n, err := lakehouse.CountRows(context.Background(), cat, table)
	require.NoError(t, err)
	return n
}

// start runs a pipeline with a chosen workflow id.
func (s *stack) start(t testing.TB, id string, cfg contract.PipelineConfig) client.WorkflowRun {
	run, err := s.srv.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: id, TaskQueue: contract.PipelineQueue, WorkflowExecutionTimeout: 10 * time.Minute,
	}, contract.DataPipelineWorkflow, cfg)
	require.NoError(t, err)
	return run
}

type clientUpdate = client.UpdateWorkflowOptions

const updateCompleted = client.WorkflowUpdateStageCompleted

// tableRows0 is tableRows for a table that may not exist.
func (s *stack) tableRows0(t testing.TB, table string) int64 {
	cat, closeCat, err := lakehouse.Open(context.Background(), lakehouse.Config{URI: s.catalog, Warehouse: s.warehouse})
	require.NoError(t, err)
	defer closeCat()
	n, err := lakehouse.CountRows(context.Background(), cat, table)
	if err != nil {
		return 0
	}
	return n
}

// waitPhase waits until a run's status query reports phase, and returns that document.
func waitPhase(t testing.TB, c client.Client, id, phase string) status.Document {
	t.Helper()
	var doc status.Document
	require.Eventually(t, func() bool {
		v, err := c.QueryWorkflow(context.Background(), id, "", contract.QueryStatus)
		return err == nil && v.Get(&doc) == nil && doc.Phase == phase
	}, 60*time.Second, 200*time.Millisecond, "%s never reached %s", id, phase)
	return doc
}

// approve approves a waiting run through the approval update and returns the
// workflow's acknowledgement.
func approve(t testing.TB, c client.Client, id, approver, reason string) status.Approval {
	t.Helper()
	ctx := context.Background()
	h, err := c.UpdateWorkflow(ctx, updateOpts(id, contract.ApprovalSignal{Approved: true, Approver: approver, Reason: reason}))
	require.NoError(t, err)
	var ack status.Approval
	require.NoError(t, h.Get(ctx, &ack))
	return ack
}
