package integration

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/objstore"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/airflow/airflowtest"
)

// cfgFor reads table orders of connection conn into table.
func cfgFor(conn string, table string) contract.PipelineConfig {
	min := 100.0
	return contract.PipelineConfig{
		PipelineID: "orders",
		Source:     contract.SourceConfig{Connection: conn, Table: "orders"},
		QualityChecks: []contract.QualityCheck{
			{Type: contract.CheckRowCountMin, Min: &min},
			{Type: contract.CheckNotNull, Columns: []string{"amount"}},
			{Type: contract.CheckUnique, Columns: []string{"order_id"}},
		},
		MinQualityScore: 0.9,
		Destination:     contract.DestinationConfig{Table: table},
	}
}

func TestSQLiteSourceLandsInIceberg(t *testing.T) {
	s := newStack(t)
	s.startWorker(t, nil)
	db, want := s.source(t, 5000, 0)
	run := s.start(t, "pipeline-orders-clean", cfgFor(db, "analytics.orders"))
	var res contract.PipelineResult
	require.NoError(t, run.Get(context.Background(), &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, want, res.RowsProcessed)
	assert.NotZero(t, res.SnapshotID)
	assert.Greater(t, res.HistoryLength, 20)
	assert.Equal(t, 1.0, res.QualityScore)
	assert.Equal(t, want, s.tableRows(t, "analytics.orders"), "the table holds exactly the source's rows")
	s.notified.waitCount(t, contract.ActivityNotifyPipelineCompletion, 1, "one completion notification")
}

func TestLowQualityWaitsThenApprovedByUpdate(t *testing.T) {
	s := newStack(t)
	s.startWorker(t, nil)
	db, want := s.source(t, 2000, 0.3)
	run := s.start(t, "pipeline-orders-dirty", cfgFor(db, "analytics.dirty"))
	ctx := context.Background()
	doc := waitPhase(t, s.srv.Client, run.GetID(), contract.PhaseAwaitingApproval)
	assert.Less(t, doc.Quality.Score, 0.9)
	assert.NotEmpty(t, doc.Quality.Checks[1].Samples, "the approver sees failing samples")

	// The update's validator refuses an approval with no approver, synchronously.
	h, err := s.srv.Client.UpdateWorkflow(ctx, updateOpts(run.GetID(), contract.ApprovalSignal{Approved: true}))
	if err == nil {
		err = h.Get(ctx, nil)
	}
	require.ErrorContains(t, err, "approver is required")
	ack := approve(t, s.srv.Client, run.GetID(), "ana@bastion", "late feed, known")
	assert.True(t, ack.Approved)

	var res contract.PipelineResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, "ana@bastion", res.Approver)
	assert.Equal(t, want, s.tableRows(t, "analytics.dirty"))
	s.notified.waitCount(t, contract.ActivityNotifyQualityIssue, 2, "the issue, then the decision that resolves it")
}

func TestAirflowContract(t *testing.T) {
	s := newStack(t)
	store := openStore(t, objstore.Settings{}, filepath.Join(s.dir, "staging"))
	af := airflowtest.New(map[string]airflowtest.DAG{
		"sales_transform": {Polls: 2, Transform: enrich(t, store)},
		"broken":          {Polls: 1, FailTasks: []string{"clean_orders"}},
		"forbidden":       {Deny: 401},
		"writes_nothing":  {Polls: 1},
	})
	defer af.Close()
	s.startWorker(t, []string{"MATIH_AIRFLOW_USERNAME=" + af.User, "MATIH_AIRFLOW_PASSWORD=" + af.Password},
		"--airflow-url", af.URL, "--airflow-poll", "100ms", "--airflow-dags", "sales_transform,writes_nothing,broken,forbidden",
		"--iceberg-namespaces", "analytics")
	db, want := s.source(t, 500, 0)
	ctx := context.Background()

	t.Run("success", func(t *testing.T) {
		cfg := cfgFor(db, "analytics.af_ok")
		cfg.TransformDAG = "sales_transform"
		var res contract.PipelineResult
		run := s.start(t, "pipeline-af-ok", cfg)
		require.NoError(t, run.Get(ctx, &res))
		assert.Equal(t, want, res.RowsProcessed)
		conf, ok := af.Run("sales_transform", "matih__pipeline-af-ok__"+run.GetRunID())
		require.True(t, ok, "the run id is deterministic, and names the run")
		assert.Contains(t, conf["input_path"], "pipeline-af-ok")
		assert.Contains(t, conf["output_path"], "/transform/")
	})
	t.Run("a DAG that writes no output fails the step, not the load", func(t *testing.T) {
		cfg := cfgFor(db, "analytics.af_nothing")
		cfg.TransformDAG = "writes_nothing"
		err := s.start(t, "pipeline-af-nothing", cfg).Get(ctx, nil)
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "%v", err)
		assert.Equal(t, "TransformOutputMissing", app.Type())
		assert.Contains(t, app.Error(), "wrote no Parquet files to")
	})
	t.Run("409 finds the existing run", func(t *testing.T) {
		before := af.Triggers
		// The run already exists, as after a worker crash between trigger and reply:
		// a run of its own, whose extraction takes a moment, so the test can create
		// the DAG run with the id the pipeline will use before it gets there.
		dirty, _ := s.source(t, 500, 0.3) // waits at the gate until the DAG run exists
		cfg := cfgFor(dirty, "analytics.af_409")
		cfg.TransformDAG = "sales_transform"
		run := s.start(t, "pipeline-af-409", cfg)
		root := store.URL() + "orders/pipeline-af-409." + run.GetRunID() + "/"
		_, err := httpPostJSON(af.URL+"/api/v1/dags/sales_transform/dagRuns", af.User, af.Password,
			`{"dag_run_id":"matih__pipeline-af-409__`+run.GetRunID()+`","conf":{"input_path":"`+root+`extract/","output_path":"`+root+`transform/"}}`)
		require.NoError(t, err)
		h, err := s.srv.Client.UpdateWorkflow(ctx, updateOpts("pipeline-af-409", contract.ApprovalSignal{Approved: true, Approver: "t", Reason: "r"}))
		for err != nil || h.Get(ctx, nil) != nil {
			time.Sleep(100 * time.Millisecond)
			h, err = s.srv.Client.UpdateWorkflow(ctx, updateOpts("pipeline-af-409", contract.ApprovalSignal{Approved: true, Approver: "t", Reason: "r"}))
		}
		var res contract.PipelineResult
		require.NoError(t, run.Get(ctx, &res))
		assert.Equal(t, contract.StatusCompleted, res.Status)
		assert.Equal(t, before+1, af.Triggers, "only the pre-existing run was created")
	})
	t.Run("failed run fails the workflow naming the tasks", func(t *testing.T) {
		cfg := cfgFor(db, "analytics.af_failed")
		cfg.TransformDAG = "broken"
		before := s.notified.count(contract.ActivityNotifyFailure)
		err := s.start(t, "pipeline-af-failed", cfg).Get(ctx, nil)
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "%v", err)
		assert.Equal(t, "AirflowRunFailed", app.Type())
		assert.Contains(t, app.Error(), "clean_orders")
		s.notified.waitCount(t, contract.ActivityNotifyFailure, before+1, "one failure notification")
	})
	t.Run("a DAG or a namespace the worker does not list is refused, and nothing reaches Airflow", func(t *testing.T) {
		before := af.Triggers
		cfg := cfgFor(db, "analytics.af_other")
		cfg.TransformDAG = "finance_payroll"
		err := s.start(t, "pipeline-af-other-dag", cfg).Get(ctx, nil)
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "%v", err)
		assert.Equal(t, contract.ErrTypeValidation, app.Type())
		assert.Contains(t, app.Error(), "transform_dag")
		assert.Contains(t, app.Error(), "sales_transform, writes_nothing")
		assert.Equal(t, before, af.Triggers, "no DAG run was created")

		cfg = cfgFor(db, "finance.payroll")
		err = s.start(t, "pipeline-other-namespace", cfg).Get(ctx, nil)
		require.True(t, errors.As(err, &app), "%v", err)
		assert.Contains(t, app.Error(), "destination.table")
		assert.Contains(t, app.Error(), "analytics")
	})
	t.Run("401 is PermissionDenied, not retried", func(t *testing.T) {
		cfg := cfgFor(db, "analytics.af_denied")
		cfg.TransformDAG = "forbidden"
		start := time.Now()
		err := s.start(t, "pipeline-af-denied", cfg).Get(ctx, nil)
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "%v", err)
		assert.Equal(t, "PermissionDeniedError", app.Type())
		assert.Less(t, time.Since(start), 20*time.Second, "no retry backoff happened")
		assert.Zero(t, s.tableRows(t, "analytics.af_ok")-want, "earlier loads untouched")
	})
}

func TestBadInputsAreRefusedBeforeAnythingRuns(t *testing.T) {
	s := newStack(t)
	s.startWorker(t, nil)
	db, _ := s.source(t, 10, 0)
	ctx := context.Background()
	// Where a hostile input points: a listener that counts who connects.
	ln := testkit.ListenCounting(t)
	cases := map[string]func(*contract.PipelineConfig){
		"source.connection": func(c *contract.PipelineConfig) { c.Source = contract.SourceConfig{Table: "orders"} },
		"source.dsn": func(c *contract.PipelineConfig) {
			c.Source = contract.SourceConfig{Kind: contract.SourcePostgres, DSN: "postgres://etl@" + ln.Addr + "/sales", Table: "orders"}
		},
		"min_quality_score": func(c *contract.PipelineConfig) { c.MinQualityScore = -0.1 },
		"source.query":      func(c *contract.PipelineConfig) { c.Source.Table = ""; c.Source.Query = "SELECT nope FROM orders" },
		"staging_path":      func(c *contract.PipelineConfig) { c.StagingPath = "/no/such/folder" },
	}
	for field, mutate := range cases {
		cfg := cfgFor(db, "analytics.bad")
		mutate(&cfg)
		err := s.start(t, "pipeline-bad-"+field, cfg).Get(ctx, nil)
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "%s: %v", field, err)
		assert.Equal(t, "ValidationError", app.Type(), field)
		assert.Contains(t, app.Error(), field)
	}
	_, err := s.srv.Client.DescribeWorkflowExecution(ctx, "pipeline-bad-staging_path", "")
	require.NoError(t, err)
	assert.Zero(t, s.tableRows0(t, "analytics.bad"), "nothing was loaded")
	assert.Zero(t, ln.Count(), "the host named in the input was never dialled")
}

func updateOpts(id string, sig contract.ApprovalSignal) clientUpdate {
	return clientUpdate{WorkflowID: id, UpdateName: contract.UpdateApproval, Args: []any{sig}, WaitForStage: updateCompleted}
}
