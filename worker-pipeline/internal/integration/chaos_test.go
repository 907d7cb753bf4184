package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/objstore"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/shared/testkit/s3fake"
	"github.com/matih/ops/worker-pipeline/internal/airflow/airflowtest"
	"github.com/matih/ops/worker-pipeline/internal/demo"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
)

// chaosSize is the load of one chaos run: scripts/chaos.sh sets MATIH_CHAOS to
// "short" (the form scripts/test.sh runs) or "full".
type chaosSize struct {
	pipelines, partitions int
	faultsFor             time.Duration // how long faults are injected
	killEvery             time.Duration
}

func chaosSizeFromEnv(t *testing.T) chaosSize {
	switch os.Getenv("MATIH_CHAOS") {
	case "short":
		return chaosSize{pipelines: 20, partitions: 100, faultsFor: 60 * time.Second, killEvery: 12 * time.Second}
	case "full":
		return chaosSize{pipelines: 200, partitions: 500, faultsFor: 4 * time.Minute, killEvery: 8 * time.Second}
	case "":
		t.Skip("the chaos run is scripts/chaos.sh (MATIH_CHAOS=short or full)")
	}
	t.Fatalf("MATIH_CHAOS: expected short or full, got %q", os.Getenv("MATIH_CHAOS"))
	return chaosSize{}
}

// chaosPipeline is one pipeline of the load and what it must end as.
type chaosPipeline struct {
	id, table, conn string
	srcTable        string // the source table, when not "orders"
	keys            []int64
	lowQuality      bool
	decision        string // "approve", "reject", "race" (a cancel racing an approval) or "slack" (Slack racing the console)
	run             client.WorkflowRun
	got             string // the status it ended with, once checkPipelines waited for it
}

// TestChaos runs pipelines, clean and low-quality, from SQLite and PostgreSQL
// sources, and a backfill on two pipeline worker processes, and two schema
// migrations on two infra worker processes, while workers are killed, the Temporal
// server restarts, PostgreSQL stops, Airflow and the object store fail for a while,
// and approvals come twice, late, racing a cancel or malformed. Then every workflow
// must have closed as expected, with no non-determinism, every table must hold
// exactly its source's keys, and each migrated table must be migrated once or be
// as it was. Every payload is encrypted throughout, and history must hold none in
// plain.
func TestChaos(t *testing.T) {
	size := chaosSizeFromEnv(t)
	began := time.Now()
	// Every payload is encrypted, as in production: the workers, the console, the
	// API and this test's own client all read the key file it sets.
	testkit.CodecKeys(t)
	srv := startChaosServer(t)
	s3 := s3fake.Start(t, "lake")
	s3proxy := testkit.StartFaultProxy(t, s3.Endpoint)
	const stagingURL = "s3://lake/staging"
	store := openStore(t, objstore.Settings{Endpoint: s3.Endpoint}, stagingURL)
	af := airflowtest.New(map[string]airflowtest.DAG{"enrich": {Polls: 3, Transform: enrich(t, store)}})
	defer af.Close()
	afproxy := testkit.StartFaultProxy(t, af.URL)

	pipes, conns := chaosPipelines(t, size.pipelines)
	migs, migConns := chaosMigrations(t)
	pg := newPGOutage(t)
	bfDB := filepath.Join(t.TempDir(), "backfill.db")
	require.NoError(t, demo.CreateOrders(context.Background(), bfDB, demo.OrdersSpec{Rows: size.partitions * 20, Days: size.partitions, Seed: 3,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}))
	conns = append(conns, testkit.SQLiteConn("backfill-src", bfDB))
	connsFile := testkit.ConnectionsFile(t, t.TempDir(), conns...)
	catalogDB := filepath.Join(t.TempDir(), "catalog.db")
	env := append(append(s3.Env(), srv.env(t, "worker", "worker-pipeline")...), "MATIH_S3_ENDPOINT="+s3proxy.URL, "MATIH_AIRFLOW_USERNAME="+af.User, "MATIH_AIRFLOW_PASSWORD="+af.Password)
	rig := &chaosRig{srv: srv, airflow: afproxy, s3: s3proxy, pg: pg}
	rig.pipeline = newFleet(t, srv.Client, workerBin, env, "--address", srv.HostPort, "--stop-timeout", "1s", "--connections", connsFile,
		"--data-dir", "data", "--staging-url", stagingURL, "--catalog-uri", catalogDB, "--warehouse", "s3://lake/warehouse",
		"--airflow-url", afproxy.URL, "--airflow-poll", "200ms", "--airflow-dags", "enrich", "--log-level", "warn")
	rig.pipeline.start(2)
	rig.infra = startInfra(t, srv.Client, srv.HostPort, testkit.ConnectionsFile(t, t.TempDir(), migConns...), srv.env(t, "worker", "worker-infra"))
	slack := startChaosSlack(t, srv)
	rig.notify, rig.channels = startNotify(t, srv.Client, srv.HostPort, slack.server, srv.env(t, "worker", "worker-notify"))
	con := startConsole(t, srv.HostPort, srv.env(t, "reader", "console"))

	ctx := context.Background()
	bfCfg := contract.BackfillConfig{PipelineID: "orders-backfill", Source: contract.SourceConfig{Connection: "backfill-src", Table: "orders"},
		PartitionColumn: "order_date", StartDate: "2026-01-01", EndDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, size.partitions).Format("2006-01-02"),
		PartitionSize: contract.PartitionDay, Destination: contract.DestinationConfig{Table: "analytics.chaos_backfill"}, MaxParallel: 2, PartitionsPerTask: 1}
	if srv.cluster {
		// Seven server processes share the 2 cores: a partition a task would leave the
		// full run's 500 partitions unfinished when the checks stop waiting.
		bfCfg.PartitionsPerTask = 4
	}
	bf, err := srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "backfill-chaos", TaskQueue: contract.PipelineQueue,
		WorkflowExecutionTimeout: 15 * time.Minute}, contract.DataBackfillWorkflow, bfCfg)
	require.NoError(t, err)
	// The pipelines arrive over most of the fault window, so that every fault meets
	// runs at every step; the migrations start so that their dry runs and applies
	// meet the infra worker kills and the PostgreSQL stop.
	started := startStaggered(srv.Client, pipes, size.faultsFor*3/4)
	migrated := startMigrations(srv.Client, migs, 14*time.Second)
	deciders := decide(srv.Client, pipes, slack)
	faults := runFaults(t, size, rig)
	require.NoError(t, <-started)
	require.NoError(t, <-migrated)
	pg.wait()

	rep := &chaosReport{}
	rep.add("faults injected", len(faults) > 0, strings.Join(faults, "; "))
	rep.checkPipelines(pipes)
	rep.checkBackfill(srv.Client, bf, size)
	rep.checkMigrations(t, srv.Client, migs)
	<-deciders
	rep.checkLate(srv.Client, pipes)
	all := append(append(ids(pipes), "backfill-chaos"), migrationIDs(migs)...)
	rep.checkHistories(t, srv.Client, all)
	rep.checkNotifications(srv.Client, rig.channels, pipes, rig.notify.kills, mayStayOpen(migs))
	rep.checkSlack(srv.Client, slack, pipes, rig.notify.kills)
	rep.checkConsole(srv.Client, con, all)
	srv.report(rep)

	cat, closeCat, err := lakehouse.Open(ctx, lakehouse.Config{URI: catalogDB, Warehouse: "s3://lake/warehouse",
		IOProps: objstore.Settings{Endpoint: s3.Endpoint}.IcebergProps()})
	require.NoError(t, err)
	defer closeCat()
	rep.checkTables(t, cat, pipes)
	bfKeys := sourceKeys(t, bfDB)
	got := orderIDs(t, cat, "analytics.chaos_backfill")
	rep.add("backfill table equals its source by key", slices.Equal(bfKeys, got), fmt.Sprintf("%d source keys, %d rows", len(bfKeys), len(got)))
	left := s3.Keys(t, "staging/")
	rep.add("no staging left behind", len(left) == 0, fmt.Sprintf("%d objects under staging/ %s", len(left), strings.Join(left, " ")))
	completed, raced := 0, 0
	for _, p := range pipes {
		if p.got == contract.StatusCompleted {
			completed++
		} else if p.decision == "race" {
			raced++
		}
	}
	rep.add("each DAG run triggered once", af.Triggers >= completed && af.Triggers <= completed+raced,
		fmt.Sprintf("%d triggers for %d completed runs (and %d cancelled in a race)", af.Triggers, completed, raced))
	rep.memory(t, rig.pipeline, rig.notify, rig.infra)
	rep.print(t, size, time.Since(began))
}

// chaosPipelines makes n sources, every fourth with nulls below the quality bar,
// and decides how each low-quality run is answered. Every fifth source is a table
// of one PostgreSQL database (the connection chaos-pg), large enough to be read as
// key ranges; the others SQLite files.
func chaosPipelines(t *testing.T, n int) ([]*chaosPipeline, []connections.Connection) {
	var pipes []*chaosPipeline
	pgDSN := testkit.PostgresDB(t)
	conns := []connections.Connection{testkit.PostgresConn("chaos-pg", pgDSN)}
	low := 0
	for i := 0; i < n; i++ {
		nulls := 0.0
		p := &chaosPipeline{id: fmt.Sprintf("pipeline-chaos-%03d", i), table: fmt.Sprintf("analytics.chaos_%03d", i), conn: fmt.Sprintf("chaos%03d", i)}
		if i%4 == 0 {
			nulls, p.lowQuality = 0.3, true
			p.decision = []string{"approve", "reject", "race", "slack"}[low%4]
			low++
		}
		if i%5 == 2 {
			p.conn, p.srcTable = "chaos-pg", fmt.Sprintf("orders_%03d", i)
			p.keys = pgSource(t, pgDSN, p.srcTable, 20000+i*10, p.lowQuality)
		} else {
			db, _ := source(t, 800+i*10, nulls)
			p.keys = sourceKeys(t, db)
			conns = append(conns, testkit.SQLiteConn(p.conn, db))
		}
		pipes = append(pipes, p)
	}
	return pipes, conns
}

// startStaggered starts the pipelines one after another over spread, retrying a
// start the server could not take (it may be restarting).
func startStaggered(c client.Client, pipes []*chaosPipeline, spread time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		gap := spread / time.Duration(max(len(pipes), 1))
		for _, p := range pipes {
			cfg := cfgFor(p.conn, p.table)
			cfg.TransformDAG = "enrich"
			if p.srcTable != "" {
				// PostgreSQL sources are read as three key ranges: on the primary
				// key, or on a split column that is not the key (its ranges are read
				// again from their start after a fault).
				cfg.Source.Table, cfg.Source.Parallelism = p.srcTable, 3
				if strings.HasSuffix(p.srcTable, "7") {
					cfg.Source.SplitColumn = "created_at"
				}
			}
			var err error
			for try := 0; try < 100; try++ {
				p.run, err = c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: p.id, TaskQueue: contract.PipelineQueue,
					WorkflowExecutionTimeout: 15 * time.Minute}, contract.DataPipelineWorkflow, cfg)
				if err == nil {
					break
				}
				time.Sleep(300 * time.Millisecond)
			}
			if err != nil {
				done <- fmt.Errorf("start %s: %w", p.id, err)
				return
			}
			time.Sleep(gap)
		}
		done <- nil
	}()
	return done
}

func ids(pipes []*chaosPipeline) []string {
	out := make([]string, len(pipes))
	for i, p := range pipes {
		out[i] = p.id
	}
	return out
}

// closedStatus is a workflow's Temporal status, or "" when it cannot be read.
func closedStatus(c client.Client, id string) enumspb.WorkflowExecutionStatus {
	d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		return enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
	}
	return d.GetWorkflowExecutionInfo().GetStatus()
}
