package integration

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

const infraBin = "github.com/matih/ops/worker-infra/cmd/worker-infra"

// chaosMigrationRows is the size of each migrated table. Its UPDATE sleeps per row,
// so the dry run and the apply each take about 6 s: long enough for a worker kill
// or the PostgreSQL stop to land in the middle of one.
const chaosMigrationRows = 300

// chaosMigration is one schema migration of the load and what it must end as.
type chaosMigration struct {
	cfg    contract.MigrationConfig
	dsn    string
	want   string // contract.StatusCompleted or contract.StatusRolledBack
	before string // the checksum of what the migration must keep
	kept   func(t *testing.T, dsn string) string
	run    client.WorkflowRun
	got    string
}

const migrationSeedSQL = `CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), counter int NOT NULL DEFAULT 0);
CREATE INDEX orders_customer_idx ON orders (customer);
INSERT INTO orders (customer, amount) SELECT 'c' || g, g * 1.5 FROM generate_series(1, %d) g;`

// slowUpdate increments every counter, sleeping 20 ms a row.
const slowUpdate = "UPDATE orders SET counter = counter + 1, note = (SELECT 'n' || orders.id FROM pg_sleep(0.02 + 0 * orders.id))"

// chaosMigrations seeds a database for each of two migrations: one that must be
// applied exactly once (its UPDATE is not idempotent, so every counter must end at
// 1) and one whose post-validation fails (it changes data it promised to keep), so
// it must roll back to a table identical to the one before.
func chaosMigrations(t *testing.T) ([]*chaosMigration, []connections.Connection) {
	applied := &chaosMigration{want: contract.StatusCompleted, kept: keptColumns, cfg: contract.MigrationConfig{
		MigrationID: "m_chaos_apply", Target: contract.TargetPostgres, Connection: "chaos-migrate-apply", Table: "orders",
		Statements:      []string{"ALTER TABLE orders ADD COLUMN note text", slowUpdate, "CREATE INDEX orders_note_idx ON orders (note)"},
		ExpectedColumns: []contract.ColumnSpec{{Name: "note", Type: "text"}},
		Assertions:      []string{"SELECT bool_and(counter = 1) FROM orders", fmt.Sprintf("SELECT count(*) = %d FROM orders", chaosMigrationRows)},
	}}
	rolled := &chaosMigration{want: contract.StatusRolledBack, kept: wholeTable, cfg: contract.MigrationConfig{
		MigrationID: "m_chaos_rollback", Target: contract.TargetPostgres, Connection: "chaos-migrate-rollback", Table: "orders",
		Statements:      []string{"ALTER TABLE orders ADD COLUMN note text", slowUpdate},
		ExpectedColumns: []contract.ColumnSpec{{Name: "note", Type: "text"}},
		DataPreserving:  true,
	}}
	migs := []*chaosMigration{applied, rolled}
	var conns []connections.Connection
	for _, m := range migs {
		m.dsn = testkit.PostgresDB(t)
		testkit.Psql(t, m.dsn, fmt.Sprintf(migrationSeedSQL, chaosMigrationRows))
		m.before = m.kept(t, m.dsn)
		conns = append(conns, testkit.SlowMigrateConn(m.cfg.Connection, m.dsn))
	}
	return migs, conns
}

// keptColumns is the checksum of the columns a migration that changes counter must
// leave as they were.
func keptColumns(t *testing.T, dsn string) string {
	return testkit.Psql(t, dsn, `SELECT count(*) || '/' || md5(string_agg(ROW(id, customer, amount)::text, '|' ORDER BY id)) FROM public.orders`)
}

// wholeTable is the checksum of the table's columns, indexes and every row.
func wholeTable(t *testing.T, dsn string) string {
	return testkit.Psql(t, dsn, `SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'public.orders'::regclass AND attnum > 0 AND NOT attisdropped`) + "\n" +
		testkit.Psql(t, dsn, `SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'orders'`) + "\n" +
		testkit.Psql(t, dsn, `SELECT count(*) || '/' || md5(string_agg(o::text, '|' ORDER BY id)) FROM public.orders o`)
}

// startMigrations starts the migrations after delay, as an operator would from the
// console, retrying a start the server could not take (it may be restarting).
func startMigrations(c client.Client, migs []*chaosMigration, delay time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		time.Sleep(delay)
		for _, m := range migs {
			var err error
			for try := 0; try < 100; try++ {
				m.run, err = c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: contract.MigrationWorkflowID(m.cfg.MigrationID),
					TaskQueue: contract.InfraQueue, WorkflowExecutionTimeout: 15 * time.Minute}, contract.SchemaMigrationWorkflow, m.cfg)
				if err == nil {
					break
				}
				time.Sleep(300 * time.Millisecond)
			}
			if err != nil {
				done <- fmt.Errorf("start %s: %w", m.cfg.MigrationID, err)
				return
			}
		}
		done <- nil
	}()
	return done
}

func migrationIDs(migs []*chaosMigration) []string {
	var out []string
	for _, m := range migs {
		out = append(out, contract.MigrationWorkflowID(m.cfg.MigrationID))
	}
	return out
}

// checkMigrations waits for each migration and checks the database it changed: the
// applied one is in the ledger once, ran its UPDATE once and kept its other
// columns; the rolled-back one left the table exactly as it was.
func (r *chaosReport) checkMigrations(t *testing.T, c client.Client, migs []*chaosMigration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wrong, details []string
	for _, m := range migs {
		if m.run == nil {
			wrong = append(wrong, m.cfg.MigrationID+" never started")
			continue
		}
		var res contract.MigrationResult
		err := m.run.Get(ctx, &res)
		var cancelled *temporal.CanceledError
		switch {
		case errors.As(err, &cancelled):
			m.got = contract.StatusCancelled
		case err != nil:
			m.got = "error: " + oneLine(err.Error())
		default:
			m.got = res.Status
		}
		after := m.kept(t, m.dsn)
		ledger := testkit.Psql(t, m.dsn, `SELECT count(*) FILTER (WHERE applied_at IS NOT NULL) || ' applied, ' || count(*) FILTER (WHERE rolled_back_at IS NOT NULL) || ' rolled back'
			FROM matih_migrations.ledger WHERE migration_id = '`+m.cfg.MigrationID+`'`)
		details = append(details, fmt.Sprintf("%s %s (ledger: %s; %d attempts retried)", m.cfg.MigrationID, m.got, ledger, retriedAttempts(c, m.run)))
		if m.got != m.want {
			wrong = append(wrong, fmt.Sprintf("%s ended %s, expected %s", m.cfg.MigrationID, m.got, m.want))
		}
		if after != m.before {
			wrong = append(wrong, fmt.Sprintf("%s: checksum %q, before %q", m.cfg.MigrationID, oneLine(after), oneLine(m.before)))
		}
		if m.want == contract.StatusCompleted {
			if n := testkit.Psql(t, m.dsn, "SELECT count(*) FROM orders WHERE counter <> 1"); n != "0" {
				wrong = append(wrong, fmt.Sprintf("%s: %s rows not updated exactly once", m.cfg.MigrationID, n))
			}
			if ledger != "1 applied, 0 rolled back" {
				wrong = append(wrong, m.cfg.MigrationID+": ledger "+ledger)
			}
		}
	}
	r.add("every migration applied exactly once or rolled back, checksums equal", len(wrong) == 0,
		strings.Join(details, "; ")+" "+strings.Join(wrong, "; "))
}

// retriedAttempts is how many activity attempts of a run failed or were lost and
// were tried again: a started event records the attempt that finished.
func retriedAttempts(c client.Client, run client.WorkflowRun) int {
	n := 0
	it := c.GetWorkflowHistory(context.Background(), run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return -1
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
			n += int(a.GetAttempt()) - 1
		}
	}
	return n
}

// startInfra starts two worker-infra processes that reach the migrations'
// databases through their connections file.
func startInfra(t *testing.T, c client.Client, hostPort, connsFile string, env []string) *fleet {
	f := newFleet(t, c, infraBin, env, "--address", hostPort, "--stop-timeout", "1s", "--connections", connsFile,
		"--data-dir", "data", "--catalog-uri", filepath.Join(t.TempDir(), "infra-catalog.db"), "--log-level", "warn")
	f.start(2)
	return f
}

// pgOutage stops the local PostgreSQL cluster, and starts it again after d, in the
// background; wait blocks until it answers again. Every session open on it, the
// workers' included, is ended, as in a real restart.
type pgOutage struct {
	t  *testing.T
	wg sync.WaitGroup
}

func newPGOutage(t *testing.T) *pgOutage {
	o := &pgOutage{t: t}
	t.Cleanup(o.wait) // before the databases are dropped
	return o
}

func (o *pgOutage) stopFor(d time.Duration) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		if out, err := exec.Command(postgresScript(o.t), "stop").CombinedOutput(); err != nil {
			o.t.Errorf("stop PostgreSQL: %v: %s", err, out)
		}
		time.Sleep(d)
		o.start()
	}()
}

func (o *pgOutage) start() {
	if out, err := exec.Command(postgresScript(o.t), "up").CombinedOutput(); err != nil {
		o.t.Errorf("start PostgreSQL again: %v: %s", err, out)
	}
}

func (o *pgOutage) wait() { o.wg.Wait() }

func postgresScript(t *testing.T) string {
	return filepath.Join(testkit.RepoRoot(t), "scripts", "postgres.sh")
}

// pgSource creates a PostgreSQL source table of rows orders, like demo.CreateOrders'
// (nulls of amount in 3 rows of 10 when low), and returns its keys.
func pgSource(t *testing.T, dsn, table string, rows int, low bool) []int64 {
	nulls := "false"
	if low {
		nulls = "g % 10 < 3"
	}
	testkit.Psql(t, dsn, fmt.Sprintf(`CREATE TABLE %[1]s (order_id bigint PRIMARY KEY, customer_id int NOT NULL, amount double precision,
		status text NOT NULL, order_date date NOT NULL, created_at timestamp NOT NULL);
		INSERT INTO %[1]s SELECT g, g %% 97, CASE WHEN %[2]s THEN NULL ELSE g * 1.25 END, 'placed', date '2026-01-01' + (g %% 30),
		timestamp '2026-01-01' + g * interval '1 minute' FROM generate_series(1, %[3]d) g`, table, nulls, rows))
	keys := make([]int64, rows)
	for i := range keys {
		keys[i] = int64(i + 1)
	}
	return keys
}
