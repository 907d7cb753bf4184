// Package integration runs backfills through the real worker binary against a real
// Temporal dev server, a SQLite source and an Iceberg catalog.
package integration

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
)

// stack is a dev server plus the folders worker processes write to.
type stack struct {
	srv       *testkit.DevServer
	dir       string
	catalog   string
	warehouse string
	conns     string // the worker's connections file
}

func newStack(t testing.TB) *stack {
	dir := t.TempDir()
	s := &stack{srv: testkit.StartDevServer(t), dir: dir, catalog: filepath.Join(dir, "catalog.db"), warehouse: filepath.Join(dir, "warehouse")}
	s.conns = testkit.ConnectionsFile(t, dir, testkit.SQLiteConn(sourceConn, s.sourcePath()))
	return s
}

// sourceConn is the worker's connection to the stack's source database.
const sourceConn = "orders"

func (s *stack) sourcePath() string { return filepath.Join(s.dir, "orders.db") }

// startWorker runs the worker binary and waits until it is ready.
func (s *stack) startWorker(t testing.TB) *testkit.Process {
	addr := testkit.FreeAddr(t)
	p := testkit.Start(t, testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline"),
		[]string{"--address", s.srv.HostPort, "--http-addr", addr, "--stop-timeout", "2s",
			"--staging-url", filepath.Join(s.dir, "staging"), "--data-dir", s.dir, "--connections", s.conns, "--catalog-uri", s.catalog, "--warehouse", s.warehouse, "--log-level", "warn"},
		nil, s.dir)
	p.WaitReady(t, addr, 30*time.Second)
	testkit.PromoteReady(t, s.srv.Client, addr)
	return p
}

// source creates the stack's source, a demo orders database of days x perDay
// orders from 2026-01-01, and returns its path.
func (s *stack) source(t testing.TB, days, perDay int) string {
	path := s.sourcePath()
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
