package integration

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/objstore"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/shared/testkit/s3fake"
	"github.com/matih/ops/worker-pipeline/internal/airflow/airflowtest"
	"github.com/matih/ops/worker-pipeline/internal/lakehouse"
	"github.com/matih/ops/worker-pipeline/internal/staging"
)

// TestTwoWorkerProcessesShareOnlyTheirConfiguration runs the pipeline queue as the
// seed deploys it: two worker processes in different working directories, sharing
// only their settings, with staging and the Iceberg warehouse in an S3-protocol
// store. One process is stopped with SIGTERM while DAG runs are in flight, as a
// rolling deploy does, and another is killed with SIGKILL during a load; a
// replacement starts each time. Every pipeline completes, each DAG run ran once,
// every table holds exactly its source's keys plus the transform's column, and no
// staging is left behind.
func TestTwoWorkerProcessesShareOnlyTheirConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("runs worker processes through a rolling restart")
	}
	s3 := s3fake.Start(t, "lake")
	srv := testkit.StartDevServer(t)
	(&recorder{}).start(t, srv.Client)
	const stagingURL = "s3://lake/staging"
	store := openStore(t, objstore.Settings{Endpoint: s3.Endpoint}, stagingURL)
	af := airflowtest.New(map[string]airflowtest.DAG{"enrich": {Polls: 8, Transform: enrich(t, store)}})
	defer af.Close()

	type pipeline struct {
		id, table, conn string
		rows            int64
		keys            []int64
		run             client.WorkflowRun
	}
	var runs []*pipeline
	var sources []connections.Connection
	for i := 0; i < 20; i++ {
		nulls := 0.0
		if i%3 == 0 {
			nulls = 0.3 // below the quality threshold: waits for approval
		}
		db, n := source(t, 1500+i*50, nulls)
		p := &pipeline{id: fmt.Sprintf("pipeline-topo-%02d", i), table: fmt.Sprintf("analytics.topo_%02d", i), conn: fmt.Sprintf("orders%02d", i), rows: n, keys: sourceKeys(t, db)}
		sources = append(sources, testkit.SQLiteConn(p.conn, db))
		runs = append(runs, p)
	}
	connsFile := testkit.ConnectionsFile(t, t.TempDir(), sources...)

	catalogDB := filepath.Join(t.TempDir(), "catalog.db")
	env := append(s3.Env(), "MATIH_AIRFLOW_USERNAME="+af.User, "MATIH_AIRFLOW_PASSWORD="+af.Password)
	bin := testkit.Build(t, workerBin)
	start := func() *testkit.Process {
		cwd, addr := t.TempDir(), testkit.FreeAddr(t)
		args := []string{"--address", srv.HostPort, "--http-addr", addr, "--stop-timeout", "1s", "--connections", connsFile,
			"--data-dir", "data", "--staging-url", stagingURL, "--catalog-uri", catalogDB, "--warehouse", "s3://lake/warehouse",
			"--airflow-url", af.URL, "--airflow-poll", "200ms", "--airflow-dags", "enrich", "--log-level", "warn"}
		p := testkit.StartIn(t, cwd, bin, args, env, cwd)
		p.WaitReady(t, addr, 30*time.Second)
		testkit.PromoteReady(t, srv.Client, addr)
		return p
	}
	procs := map[string]*testkit.Process{}
	startOne := func() *testkit.Process {
		p := start()
		procs[strconv.Itoa(p.Pid())] = p
		return p
	}
	first, _ := startOne(), startOne()

	ctx := context.Background()
	for _, p := range runs {
		cfg := cfgFor(p.conn, p.table)
		cfg.TransformDAG = "enrich"
		run, err := srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: p.id, TaskQueue: contract.PipelineQueue,
			WorkflowExecutionTimeout: 10 * time.Minute}, contract.DataPipelineWorkflow, cfg)
		require.NoError(t, err)
		p.run = run
	}

	// Approve the low-quality runs as they reach the gate.
	go func() {
		for _, p := range runs {
			for k := 0; k < 600; k++ {
				h, err := srv.Client.UpdateWorkflow(ctx, updateOpts(p.id, contract.ApprovalSignal{Approved: true, Approver: "oncall", Reason: "known nulls"}))
				if err == nil && h.Get(ctx, nil) == nil {
					break
				}
				if d, err := srv.Client.DescribeWorkflowExecution(ctx, p.id, ""); err == nil &&
					d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()

	// A rolling restart while DAG runs are in flight, then a crash during a load.
	require.Eventually(t, func() bool { return af.Running("enrich") >= 3 }, 60*time.Second, 50*time.Millisecond)
	first.Stop()
	delete(procs, strconv.Itoa(first.Pid()))
	startOne()
	ids := make([]string, len(runs))
	for i, p := range runs {
		ids[i] = p.id
	}
	var loader string
	closed := map[string]bool{}
	require.Eventually(t, func() bool {
		loader = loadingWorker(t, srv.Client, ids, closed)
		return procs[loader] != nil
	}, 120*time.Second, 10*time.Millisecond, "a load in flight on a live worker")
	t.Logf("killing worker %s during a load", loader)
	procs[loader].Kill()
	delete(procs, loader)
	startOne()

	for _, p := range runs {
		var res contract.PipelineResult
		require.NoError(t, p.run.Get(ctx, &res), p.id)
		assert.Equal(t, contract.StatusCompleted, res.Status, p.id)
		assert.Equal(t, p.rows, res.RowsProcessed, p.id)
	}
	assert.Equal(t, len(runs), af.Triggers, "each DAG run was triggered once: retries re-attached by run id")
	assert.Empty(t, af.Stopped(), "no DAG run was marked failed by a worker that shut down")

	cat, closeCat, err := lakehouse.Open(ctx, lakehouse.Config{URI: catalogDB, Warehouse: "s3://lake/warehouse",
		IOProps: objstore.Settings{Endpoint: s3.Endpoint}.IcebergProps()})
	require.NoError(t, err)
	defer closeCat()
	for _, p := range runs {
		keys, refs := tableKeys(t, cat, p.table)
		assert.Equal(t, p.keys, keys, "%s: every source row once, nothing lost, nothing doubled", p.table)
		for i, k := range keys {
			require.Equal(t, k*10, refs[i], "%s: the transform's output was loaded", p.table)
		}
	}
	for _, p := range runs {
		testkit.NoSecretIn(t, p.id+"'s history", testkit.DecodedHistory(t, srv.Client, p.id), af.Password, s3.Secret())
	}
	assert.Empty(t, s3.Keys(t, "staging/"), "every run deleted its staging")
	assert.NotEmpty(t, s3.Keys(t, "warehouse/"), "the warehouse is in the object store")
	assert.GreaterOrEqual(t, len(activityWorkers(t, srv.Client, ids...)), 2, "activities ran on more than one process")
}

func openStore(t *testing.T, s objstore.Settings, url string) *staging.Store {
	loc, err := s.Open(context.Background(), "staging", url)
	require.NoError(t, err)
	st := staging.NewStore(loc)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// enrich is the DAG's work, as a real transform DAG does it: read the staged input
// from conf.input_path, add order_ref = order_id * 10, write conf.output_path.
func enrich(t *testing.T, store *staging.Store) func(conf map[string]any) error {
	return func(conf map[string]any) error {
		ctx := context.Background()
		in, err := store.Resolve("input_path", fmt.Sprint(conf["input_path"]))
		if err != nil {
			return err
		}
		out, err := store.Resolve("output_path", fmt.Sprint(conf["output_path"]))
		if err != nil {
			return err
		}
		files, err := store.Files(ctx, in)
		if err != nil {
			return err
		}
		rdr, err := store.NewReader(ctx, files)
		if err != nil {
			return err
		}
		defer rdr.Release()
		sc := rdr.Schema()
		idx := sc.FieldIndices("order_id")[0]
		outSchema := arrow.NewSchema(append(append([]arrow.Field{}, sc.Fields()...), arrow.Field{Name: "order_ref", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), nil)
		w := store.NewWriter(ctx, out, outSchema, 1_000_000, 0)
		for rdr.Next() {
			rec := rdr.RecordBatch()
			b := array.NewInt64Builder(memory.DefaultAllocator)
			ids := rec.Column(idx).(*array.Int64)
			for i := 0; i < ids.Len(); i++ {
				b.Append(ids.Value(i) * 10)
			}
			ref := b.NewArray()
			cols := append(append([]arrow.Array{}, rec.Columns()...), ref)
			next := array.NewRecordBatch(outSchema, cols, rec.NumRows())
			err := w.Write(next)
			next.Release()
			ref.Release()
			b.Release()
			if err != nil {
				w.Abort()
				return err
			}
		}
		_, err = w.Close()
		return err
	}
}

func sourceKeys(t *testing.T, db string) []int64 {
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	require.NoError(t, err)
	defer conn.Close()
	rows, err := conn.Query("SELECT order_id FROM orders ORDER BY order_id")
	require.NoError(t, err)
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var k int64
		require.NoError(t, rows.Scan(&k))
		keys = append(keys, k)
	}
	return keys
}

// tableKeys reads order_id and order_ref of every row of a table, sorted by order_id.
func tableKeys(t *testing.T, cat catalog.Catalog, name string) ([]int64, []int64) {
	tbl, err := cat.LoadTable(context.Background(), strings.Split(name, "."))
	require.NoError(t, err)
	at, err := tbl.Scan().ToArrowTable(context.Background())
	require.NoError(t, err)
	defer at.Release()
	type row struct{ id, ref int64 }
	var all []row
	ids, refs := at.Schema().FieldIndices("order_id"), at.Schema().FieldIndices("order_ref")
	require.Len(t, refs, 1, "%s has the transform's column", name)
	for c := 0; c < len(at.Column(ids[0]).Data().Chunks()); c++ {
		ic := at.Column(ids[0]).Data().Chunk(c).(*array.Int64)
		rc := at.Column(refs[0]).Data().Chunk(c).(*array.Int64)
		for i := 0; i < ic.Len(); i++ {
			all = append(all, row{ic.Value(i), rc.Value(i)})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	k, r := make([]int64, len(all)), make([]int64, len(all))
	for i, x := range all {
		k[i], r[i] = x.id, x.ref
	}
	return k, r
}

// loadingWorker is the pid of a worker running a load_to_iceberg of the runs now,
// or "".
func loadingWorker(t *testing.T, c client.Client, ids []string, closed map[string]bool) string {
	for _, id := range ids {
		if closed[id] {
			continue // a closed run loads nothing: skipping it keeps each sweep short
		}
		d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
		require.NoError(t, err)
		if d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			closed[id] = true
		}
		for _, a := range d.GetPendingActivities() {
			if a.GetActivityType().GetName() == contract.ActivityLoadToIceberg && a.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				if parts := strings.SplitN(a.GetLastWorkerIdentity(), "@", 3); len(parts) == 3 {
					return parts[1]
				}
			}
		}
	}
	return ""
}

// activityWorkers is the set of worker identities that ran the runs' activities.
func activityWorkers(t *testing.T, c client.Client, ids ...string) map[string]bool {
	seen := map[string]bool{}
	for _, id := range ids {
		it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			require.NoError(t, err)
			if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
				seen[strings.SplitN(a.GetIdentity(), "@", 3)[1]] = true
			}
		}
	}
	return seen
}
