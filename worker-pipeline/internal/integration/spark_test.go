package integration

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/objstore"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/extract"
	"github.com/matih/ops/worker-pipeline/internal/spark"
	"github.com/matih/ops/worker-pipeline/internal/spark/sparktest"
)

// cluster is the Spark side of the tests: a Livy contract server whose jobs do
// what a real extraction job does, read the source table and write Parquet where
// --matih-output says. Jobs of a workflow can be held running, or made to fail.
type cluster struct {
	livy *sparktest.Server
	mu   sync.Mutex
	hold map[string]chan struct{} // workflow id -> closed when its job may finish
	fail map[string]error
	run  func(ctx context.Context, output string) (int64, error)
}

const sparkConn = "lake"

// newSparkStack is a stack whose worker also knows the spark connection "lake",
// whose jobs read source slot 0.
func newSparkStack(t *testing.T) (*stack, *cluster) {
	c := &cluster{hold: map[string]chan struct{}{}, fail: map[string]error{}}
	c.livy = sparktest.New(c.job, "etl", "livy-secret")
	t.Cleanup(c.livy.Close)
	conn := connections.Connection{Name: sparkConn, Kind: connections.Spark, URL: c.livy.URL, Username: "etl", PasswordEnv: "LAKE_LIVY_PASSWORD",
		Spark: &connections.SparkSettings{Files: []string{"s3a://jobs/extract/"}, Poll: "200ms", Queue: "etl",
			Conf: map[string]string{"spark.sql.shuffle.partitions": "8"}}}
	s := newStackOn(t, testkit.StartDevServer(t), conn)
	store := openStore(t, objstore.Settings{}, filepath.Join(s.dir, "staging"))
	reg := testkit.Connections(t, testkit.SQLiteConn(slotName(0), s.slotPath(0)))
	ex := &extract.Extractor{Store: store, Connections: reg}
	c.run = func(ctx context.Context, output string) (int64, error) {
		prefix, err := store.Resolve("--matih-output", output)
		if err != nil {
			return 0, err
		}
		res, err := ex.Extract(ctx, contract.ExtractInput{PipelineID: "spark", RunID: "job",
			Source: contract.SourceConfig{Connection: slotName(0), Table: "orders"}, OutputPrefix: prefix}, extract.Progress{}, nil)
		return res.Rows, err
	}
	return s, c
}

func (c *cluster) job(ctx context.Context, req spark.BatchRequest) ([]string, error) {
	output := argAfter(req.Args, "--matih-output")
	c.mu.Lock()
	var hold chan struct{}
	var fail error
	for id, ch := range c.hold {
		if strings.Contains(req.Name, id) {
			hold = ch
		}
	}
	for id, err := range c.fail {
		if strings.Contains(req.Name, id) {
			fail = err
		}
	}
	c.mu.Unlock()
	if hold != nil {
		select {
		case <-ctx.Done():
			return []string{"killed while reading"}, ctx.Err()
		case <-hold:
		}
	}
	if fail != nil {
		return []string{"reading orders", "stage 1 failed 4 times"}, fail
	}
	rows, err := c.run(ctx, output)
	return []string{fmt.Sprintf("wrote %d rows to %s", rows, output)}, err
}

func argAfter(args []string, name string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name {
			return args[i+1]
		}
	}
	return ""
}

func sparkCfg(table string) contract.PipelineConfig {
	cfg := cfgFor(sparkConn, table)
	cfg.Source = contract.SourceConfig{Connection: sparkConn, Kind: contract.SourceSpark, Table: "orders",
		Spark: &contract.SparkJob{File: "s3a://jobs/extract/orders.py", Args: []string{"--format", "parquet"}}}
	return cfg
}

// batchOf waits until the cluster has a batch for workflow id in state, and returns its id.
func (c *cluster) batchOf(t *testing.T, id, state string) int {
	t.Helper()
	var found = -1
	require.Eventually(t, func() bool {
		for i, req := range c.livy.Submitted() {
			if strings.Contains(req.Name, id) && c.livy.StateOf(i) == state {
				found = i
				return true
			}
		}
		return false
	}, 60*time.Second, 50*time.Millisecond, "no %s batch for %s", state, id)
	return found
}

func (c *cluster) submittedFor(id string) int {
	n := 0
	for _, req := range c.livy.Submitted() {
		if strings.Contains(req.Name, id) {
			n++
		}
	}
	return n
}

// TestPipelineExtractsOnSpark runs a low-quality pipeline whose extraction is a
// Spark job: quality, the approval gate and the load work on what the job wrote.
func TestPipelineExtractsOnSpark(t *testing.T) {
	s, c := newSparkStack(t)
	s.startWorker(t, []string{"LAKE_LIVY_PASSWORD=livy-secret"})
	_, want := s.source(t, 3000, 0.3)
	run := s.start(t, "pipeline-spark", sparkCfg("analytics.spark_orders"))
	doc := waitPhase(t, s.srv.Client, run.GetID(), contract.PhaseAwaitingApproval)
	assert.Less(t, doc.Quality.Score, 0.9, "quality ran on the job's output")
	approve(t, s.srv.Client, run.GetID(), "ana@bastion", "known nulls")
	var res contract.PipelineResult
	require.NoError(t, run.Get(context.Background(), &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, want, res.RowsProcessed)
	assert.Equal(t, want, s.tableRows(t, "analytics.spark_orders"), "the table holds exactly the source's rows")

	reqs := c.livy.Submitted()
	require.Len(t, reqs, 1)
	req := reqs[0]
	assert.Equal(t, "s3a://jobs/extract/orders.py", req.File)
	assert.Equal(t, "etl", req.Queue, "the connection's job settings")
	assert.Equal(t, []string{"--format", "parquet", "--matih-output"}, req.Args[:3])
	assert.Contains(t, req.Args[3], "/extract/", "the worker chose the run's staging")
	assert.Equal(t, "orders", argAfter(req.Args, "--matih-table"))
	assert.Contains(t, req.Name, "pipeline-spark")
	testkit.NoSecretIn(t, "the run's history", testkit.DecodedHistory(t, s.srv.Client, run.GetID()), "livy-secret")
}

// TestSparkJobOutlivesAWorkerShutdownAndEndsWithACancel: a SIGTERM leaves the job
// running and the next worker re-attaches to it; a workflow cancel deletes it.
func TestSparkJobOutlivesAWorkerShutdownAndEndsWithACancel(t *testing.T) {
	s, c := newSparkStack(t)
	env := []string{"LAKE_LIVY_PASSWORD=livy-secret"}
	first := s.startWorker(t, env)
	_, want := s.source(t, 2000, 0)
	release := make(chan struct{})
	c.mu.Lock()
	c.hold["spark-restart"], c.hold["spark-cancel"] = release, make(chan struct{})
	c.mu.Unlock()

	run := s.start(t, "spark-restart", sparkCfg("analytics.spark_restart"))
	id := c.batchOf(t, "spark-restart", spark.StateRunning)
	first.Stop() // SIGTERM
	time.Sleep(time.Second)
	assert.Empty(t, c.livy.Deleted(), "a worker shutdown does not delete the batch")
	assert.Equal(t, spark.StateRunning, c.livy.StateOf(id))
	s.startWorker(t, env)
	close(release)
	var res contract.PipelineResult
	require.NoError(t, run.Get(context.Background(), &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)
	assert.Equal(t, want, s.tableRows(t, "analytics.spark_restart"))
	assert.Equal(t, 1, c.submittedFor("spark-restart"), "the retry re-attached instead of submitting twice")

	cancelled := s.start(t, "spark-cancel", sparkCfg("analytics.spark_cancel"))
	id = c.batchOf(t, "spark-cancel", spark.StateRunning)
	require.NoError(t, s.srv.Client.CancelWorkflow(context.Background(), cancelled.GetID(), ""))
	require.Eventually(t, func() bool { return len(c.livy.Deleted()) == 1 }, 30*time.Second, 50*time.Millisecond, "the cancel deleted the batch")
	assert.Equal(t, []int{id}, c.livy.Deleted())
	_ = cancelled.Get(context.Background(), &res)
	assert.Equal(t, contract.StatusCancelled, res.Status)
}

// TestAFailedSparkJobFailsTheRunWithItsLog: no retry, and the error says why.
func TestAFailedSparkJobFailsTheRunWithItsLog(t *testing.T) {
	s, c := newSparkStack(t)
	s.startWorker(t, []string{"LAKE_LIVY_PASSWORD=livy-secret"})
	s.source(t, 500, 0)
	c.mu.Lock()
	c.fail["spark-fails"] = errors.New("org.apache.spark.sql.AnalysisException: Table or view not found: orders")
	c.mu.Unlock()
	run := s.start(t, "spark-fails", sparkCfg("analytics.spark_fails"))
	var res contract.PipelineResult
	err := run.Get(context.Background(), &res)
	if err == nil {
		err = errors.New(res.Reason)
	}
	assert.ErrorContains(t, err, "Table or view not found: orders")
	assert.ErrorContains(t, err, "stage 1 failed 4 times", "the error carries the end of the job's log")
	assert.Equal(t, 1, c.submittedFor("spark-fails"), "a failed job is not resubmitted")
	assert.Equal(t, 1, extractAttempts(t, s, run.GetID()), "nor retried as if it were transient")
}

// extractAttempts is how many attempts extract_data made in a run.
func extractAttempts(t *testing.T, s *stack, id string) int {
	it := s.srv.Client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	scheduled := map[int64]bool{}
	attempts := 0
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == contract.ActivityExtractData {
			scheduled[e.GetEventId()] = true
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil && scheduled[a.GetScheduledEventId()] {
			attempts += int(a.GetAttempt())
		}
	}
	return attempts
}
