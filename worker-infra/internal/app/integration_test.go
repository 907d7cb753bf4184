package app

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-infra/internal/activities"
	"github.com/matih/ops/worker-infra/internal/pgmigrate"
)

var record = flag.Bool("record", false, "write the histories of the integration runs to ../migration/testdata")

// env is one dev server with an infra worker and a notify-queue recorder.
type env struct {
	ds       *testkit.DevServer
	cfg      Config
	acts     *activities.Activities
	mu       sync.Mutex
	notified []contract.FailureNotification
}

func startEnv(t *testing.T) *env {
	t.Helper()
	e := startBare(t)
	e.cfg = Config{CatalogURI: filepath.Join(t.TempDir(), "catalog.db"), Warehouse: filepath.Join(t.TempDir(), "warehouse")}
	acts, cleanup, err := e.cfg.Activities(context.Background())
	require.NoError(t, err)
	t.Cleanup(cleanup)
	e.acts = acts
	w := worker.New(e.ds.Client, contract.InfraQueue, worker.Options{})
	Register(w, acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return e
}

// startBare is a dev server with only the notify-queue recorder.
func startBare(t *testing.T) *env {
	t.Helper()
	e := &env{ds: testkit.StartDevServer(t)}
	// The notify worker is another module; this records what would reach it.
	n := worker.New(e.ds.Client, contract.NotifyQueue, worker.Options{})
	n.RegisterActivityWithOptions(func(_ context.Context, msg contract.FailureNotification) (contract.NotificationResult, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.notified = append(e.notified, msg)
		return contract.NotificationResult{Delivered: []string{"test"}}, nil
	}, activity.RegisterOptions{Name: contract.ActivityNotifyFailure})
	testkit.RegisterNotificationDelivery(n)
	require.NoError(t, n.Start())
	t.Cleanup(n.Stop)
	return e
}

func (e *env) notifications() []contract.FailureNotification {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]contract.FailureNotification(nil), e.notified...)
}

// run starts a migration as the console does and waits for its outcome.
func (e *env) run(t *testing.T, cfg contract.MigrationConfig, recordAs string) (contract.MigrationResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := e.ds.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contract.MigrationWorkflowID(cfg.MigrationID), TaskQueue: contract.InfraQueue,
	}, contract.SchemaMigrationWorkflow, cfg)
	require.NoError(t, err)
	var res contract.MigrationResult
	err = run.Get(ctx, &res)
	if recordAs != "" && *record {
		writeHistory(t, e.ds.Client, run.GetID(), recordAs)
	}
	return res, err
}

// currentSet is the fixture set of the current code in the migration's and the
// maintenance's testdata (see testkit.PinnedFixtures). A change to either workflow
// names a new set here and in its replay test, records it with -record, deletes
// the old one and names the old one's build in the README.
const currentSet = "2026-12-06"

func writeHistory(t *testing.T, c client.Client, id, name string) {
	writeFixture(t, c, id, "migration", name)
}

// writeFixture records workflow id's history as NAME of the current set of the
// workflow package pkg.
func writeFixture(t *testing.T, c client.Client, id, pkg, name string) {
	testdata := filepath.Join("..", pkg, "testdata")
	testkit.WriteHistory(t, c, id, "", testkit.RecordPath(t, testdata, currentSet, strings.TrimSuffix(name, ".json")))
}

const seedSQL = `CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), counter int NOT NULL DEFAULT 0);
CREATE INDEX orders_customer_idx ON orders (customer);
INSERT INTO orders (customer, amount) SELECT 'c' || g, g * 1.5 FROM generate_series(1, 200) g;`

func seedDB(t *testing.T) string {
	dsn := testkit.PostgresDB(t)
	testkit.Psql(t, dsn, seedSQL)
	return dsn
}

// targetDB is the connection name migrations in these tests name.
const targetDB = "orders_db"

// seed creates the test's database and makes it the worker's targetDB connection.
func (e *env) seed(t *testing.T) string {
	dsn := seedDB(t)
	e.acts.Postgres.(*pgmigrate.Backend).Connections = testkit.Connections(t, testkit.SlowMigrateConn(targetDB, dsn))
	return dsn
}

// tableState is the schema, indexes and content of orders as psql sees them.
func tableState(t *testing.T, dsn string) string {
	return testkit.Psql(t, dsn, `SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'public.orders'::regclass AND attnum > 0 AND NOT attisdropped`) + "\n" +
		testkit.Psql(t, dsn, `SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'orders'`) + "\n" +
		testkit.Psql(t, dsn, `SELECT count(*) || '/' || md5(string_agg(o::text, '|' ORDER BY id)) FROM public.orders o`)
}

func originalData(t *testing.T, dsn string) string {
	return testkit.Psql(t, dsn, `SELECT count(*) || '/' || md5(string_agg(ROW(id, customer, amount, counter)::text, '|' ORDER BY id)) FROM public.orders`)
}

func TestMigrationsAgainstPostgres(t *testing.T) {
	e := startEnv(t)

	t.Run("add column keeps the data", func(t *testing.T) { addColumnKeepsData(t, e) })
	t.Run("invalid second statement is refused by the dry run", func(t *testing.T) { dryRunRefusesSecondStatement(t, e) })
	t.Run("second statement failing during apply leaves the table identical", func(t *testing.T) { applyFailureLeavesTable(t, e) })
	t.Run("post-validation failure rolls back with identical data", func(t *testing.T) { postValidationRollsBack(t, e) })
	t.Run("cancel after apply restores the backup", func(t *testing.T) { cancelAfterApply(t, e) })
	t.Run("unknown table fails fast and non-retryably", func(t *testing.T) { unknownTableFailsFast(t, e) })
}

func addColumnKeepsData(t *testing.T, e *env) {
	dsn := e.seed(t)
	before := originalData(t, dsn)
	res, err := e.run(t, contract.MigrationConfig{
		MigrationID: "m_add_note", Target: contract.TargetPostgres, Connection: targetDB, Table: "orders",
		Statements:      []string{"ALTER TABLE orders ADD COLUMN note text", "CREATE INDEX orders_note_idx ON orders (note)"},
		ExpectedColumns: []contract.ColumnSpec{{Name: "note", Type: "text"}, {Name: "amount", Type: "numeric"}},
		DataPreserving:  true,
		Assertions:      []string{"SELECT count(*) = 200 FROM orders"},
	}, "completed.json")
	require.NoError(t, err)
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, int64(200), res.Backup.RowCount)
	assert.Equal(t, before, originalData(t, dsn))
	assert.Equal(t, "text", testkit.Psql(t, dsn, `SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'note'`))
	assert.Equal(t, "1", testkit.Psql(t, dsn, `SELECT count(*) FROM matih_migrations.ledger WHERE migration_id = 'm_add_note' AND applied_at IS NOT NULL`))

	v, err := e.ds.Client.QueryWorkflow(context.Background(), contract.MigrationWorkflowID("m_add_note"), "", contract.QueryStatus)
	require.NoError(t, err)
	var doc status.Document
	require.NoError(t, v.Get(&doc))
	assert.Equal(t, contract.PhaseCompleted, doc.Phase)
	assert.Len(t, doc.Activities, 4)

	desc, err := e.ds.Client.DescribeWorkflow(context.Background(), contract.MigrationWorkflowID("m_add_note"), "")
	require.NoError(t, err)
	phase, _ := desc.TypedSearchAttributes.GetKeyword(temporal.NewSearchAttributeKeyKeyword(contract.SearchAttrPipelinePhase))
	assert.Equal(t, contract.PhaseCompleted, phase)
	testkit.NoSecretIn(t, "the migration's history", testkit.DecodedHistory(t, e.ds.Client, contract.MigrationWorkflowID("m_add_note")), os.Getenv("PGPASSWORD"))
}

func dryRunRefusesSecondStatement(t *testing.T, e *env) {
	dsn := e.seed(t)
	before := tableState(t, dsn)
	_, err := e.run(t, contract.MigrationConfig{
		MigrationID: "m_bad_second", Target: contract.TargetPostgres, Connection: targetDB, Table: "orders",
		Statements: []string{"ALTER TABLE orders ADD COLUMN note text", "ALTER TABLE orders ALTER COLUMN nope SET NOT NULL"},
	}, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "statements[1]")
	assert.Equal(t, before, tableState(t, dsn))
	assert.Equal(t, "f", testkit.Psql(t, dsn, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'backup_m_bad_second')`), "no backup taken")
}

func applyFailureLeavesTable(t *testing.T, e *env) {
	dsn := e.seed(t)
	before := tableState(t, dsn)
	// The second statement passes the dry run (no backup schema yet) and divides
	// by zero once the backup exists, so apply fails after its first statement ran
	// (the connection allows to_regnamespace for this).
	_, err := e.run(t, contract.MigrationConfig{
		MigrationID: "m_fail_apply", Target: contract.TargetPostgres, Connection: targetDB, Table: "orders",
		Statements: []string{
			"ALTER TABLE orders ADD COLUMN note text",
			"UPDATE orders SET counter = counter + 1 / (CASE WHEN to_regnamespace('backup_m_fail_apply') IS NULL THEN 1 ELSE 0 END)",
		},
	}, "apply_failed.json")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "statements[1]")
	assert.Contains(t, err.Error(), "division by zero")
	assert.Equal(t, before, tableState(t, dsn))
	assert.Equal(t, "0", testkit.Psql(t, dsn, `SELECT count(*) FROM matih_migrations.ledger WHERE applied_at IS NOT NULL`))
	assert.NotEmpty(t, notificationsFor(e, "m_fail_apply"))
}

func postValidationRollsBack(t *testing.T, e *env) {
	dsn := e.seed(t)
	before := tableState(t, dsn)
	res, err := e.run(t, contract.MigrationConfig{
		MigrationID: "m_rollback", Target: contract.TargetPostgres, Connection: targetDB, Table: "orders",
		Statements:      []string{"ALTER TABLE orders ADD COLUMN note text", "UPDATE orders SET counter = counter + 1"},
		ExpectedColumns: []contract.ColumnSpec{{Name: "note", Type: "text"}},
		DataPreserving:  true,
	}, "rolled_back.json")
	require.NoError(t, err)
	assert.Equal(t, contract.StatusRolledBack, res.Status)
	require.NotEmpty(t, res.Failures)
	assert.Contains(t, res.Failures[0], "data_preserving")
	assert.Equal(t, before, tableState(t, dsn))
	ns := notificationsFor(e, "m_rollback")
	require.Len(t, ns, 1)
	assert.Equal(t, contract.SeverityWarning, ns[0].Severity)
}

func unknownTableFailsFast(t *testing.T, e *env) {
	e.seed(t)
	_, err := e.run(t, contract.MigrationConfig{
		MigrationID: "m_unknown", Target: contract.TargetPostgres, Connection: targetDB, Table: "missing",
		Statements: []string{"ALTER TABLE missing ADD COLUMN x int"},
	}, "")
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, contract.ErrTypeValidation, ae.Type())
	assert.Contains(t, err.Error(), `"missing" was not found`)
}

// notificationsFor is what migration id sent. A run hands its notification to a
// delivery workflow and closes, so this waits up to 30 s for the first to arrive.
func notificationsFor(e *env, id string) []contract.FailureNotification {
	var out []contract.FailureNotification
	for deadline := time.Now().Add(30 * time.Second); len(out) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out = out[:0]
		for _, n := range e.notifications() {
			if n.PipelineID == id {
				out = append(out, n)
			}
		}
	}
	return out
}

// cancelAfterApply cancels the workflow while post-validation runs (a slow assertion)
// and checks the table is restored and the result is CANCELLED.
func cancelAfterApply(t *testing.T, e *env) {
	dsn := e.seed(t)
	before := tableState(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := contract.MigrationConfig{
		MigrationID: "m_cancelled", Target: contract.TargetPostgres, Connection: targetDB, Table: "orders",
		Statements: []string{"ALTER TABLE orders ADD COLUMN note text"},
		Assertions: []string{"SELECT (SELECT true FROM pg_sleep(3))"},
	}
	run, err := e.ds.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contract.MigrationWorkflowID(cfg.MigrationID), TaskQueue: contract.InfraQueue,
	}, contract.SchemaMigrationWorkflow, cfg)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return testkit.Psql(t, dsn, `SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT (SELECT true FROM pg_sleep%' AND state = 'active'`) == "1"
	}, time.Minute, 50*time.Millisecond, "post-validation never started")
	require.NoError(t, e.ds.Client.CancelWorkflow(ctx, run.GetID(), ""))
	var res contract.MigrationResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, contract.StatusCancelled, res.Status)
	assert.Contains(t, res.Reason, "restored")
	assert.Equal(t, before, tableState(t, dsn))
	assert.Equal(t, "1", testkit.Psql(t, dsn, `SELECT count(*) FROM matih_migrations.ledger WHERE rolled_back_at IS NOT NULL`))
	ns := notificationsFor(e, "m_cancelled")
	require.Len(t, ns, 1)
	assert.Equal(t, contract.SeverityInfo, ns[0].Severity)
}
