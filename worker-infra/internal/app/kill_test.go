package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestWorkerKilledDuringApplyAppliesOnce kills the worker process with SIGKILL while
// apply_migration runs, starts a new one, and checks the migration is applied exactly
// once. It waits for the server's heartbeat timeout (30 s), so it takes about a minute.
func TestWorkerKilledDuringApplyAppliesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a heartbeat timeout")
	}
	bin := testkit.Build(t, "github.com/matih/ops/worker-infra/cmd/worker-infra")

	e := startBare(t)
	dsn := seedDB(t)
	conns := testkit.ConnectionsFile(t, t.TempDir(), testkit.SlowMigrateConn(targetDB, dsn))
	start := func() *testkit.Process {
		addr := testkit.FreeAddr(t)
		p := testkit.Start(t, bin, []string{"--address", e.ds.HostPort, "--namespace", e.ds.Namespace, "--connections", conns,
			"--http-addr", addr, "--catalog-uri", filepath.Join(t.TempDir(), "c.db"),
			"--warehouse", t.TempDir(), "--log-level", "warn"}, nil, t.TempDir())
		p.WaitReady(t, addr, 30*time.Second)
		testkit.PromoteReady(t, e.ds.Client, addr)
		return p
	}
	first := start()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Each row sleeps, so the UPDATE runs for about 4 s: long enough to kill mid-apply.
	cfg := contract.MigrationConfig{
		MigrationID: "m_killed", Target: contract.TargetPostgres, Connection: targetDB, Table: "orders",
		Statements: []string{
			"ALTER TABLE orders ADD COLUMN note text",
			"UPDATE orders SET counter = counter + 1, note = (SELECT 'n' || orders.id FROM pg_sleep(0.02 + 0 * orders.id))",
		},
	}
	run, err := e.ds.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contract.MigrationWorkflowID(cfg.MigrationID), TaskQueue: contract.InfraQueue,
	}, contract.SchemaMigrationWorkflow, cfg)
	require.NoError(t, err)

	ok := assert.Eventually(t, func() bool {
		// The dry run runs the same UPDATE; apply is the one after the backup exists.
		n := testkit.Psql(t, dsn, `SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'UPDATE orders SET counter%'
			AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'backup_m_killed')`)
		return n == "1"
	}, time.Minute, 100*time.Millisecond, "apply never started")
	if !ok {
		d, err := e.ds.Client.DescribeWorkflowExecution(ctx, run.GetID(), "")
		require.NoError(t, err)
		t.Fatalf("workflow: %v pending: %v", d.WorkflowExecutionInfo.Status, d.PendingActivities)
	}
	first.Kill()
	start()

	var res contract.MigrationResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "200|1|1", testkit.Psql(t, dsn, `SELECT count(*), min(counter), max(counter) FROM orders`), "every row updated exactly once")
	assert.Equal(t, "1", testkit.Psql(t, dsn, `SELECT count(*) FROM matih_migrations.ledger WHERE applied_at IS NOT NULL`))
	assert.GreaterOrEqual(t, applyAttempts(t, e, run.GetID()), int32(2), "the apply was retried after the kill")
}

// applyAttempts reads the attempt of the apply_migration that completed.
func applyAttempts(t *testing.T, e *env, id string) int32 {
	iter := e.ds.Client.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	scheduled := map[int64]string{}
	var attempt int32
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && strings.EqualFold(scheduled[a.GetScheduledEventId()], contract.ActivityApplyMigration) {
			attempt = a.GetAttempt()
		}
	}
	return attempt
}
