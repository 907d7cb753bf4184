package spark_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/worker-pipeline/internal/spark"
	"github.com/matih/ops/worker-pipeline/internal/spark/sparktest"
)

// gate is a job that runs until released, and fails when told to.
type gate struct {
	release chan struct{}
	runs    atomic.Int32
	killed  atomic.Int32
	fail    error
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) job(ctx context.Context, req spark.BatchRequest) ([]string, error) {
	g.runs.Add(1)
	select {
	case <-ctx.Done():
		g.killed.Add(1)
		return []string{"interrupted"}, ctx.Err()
	case <-g.release:
	}
	return []string{"read 3 rows", "wrote 1 file"}, g.fail
}

func client(t *testing.T, srv *sparktest.Server) *spark.Livy {
	l, err := spark.NewLivy(spark.LivyConfig{URL: srv.URL, Username: "etl", Password: "pw"})
	require.NoError(t, err)
	return l
}

func run(name string) spark.Run {
	return spark.Run{Request: spark.BatchRequest{File: "s3a://jobs/extract.py", Name: name}, Every: 5 * time.Millisecond}
}

func TestAJobRunsToSuccessWithHeartbeats(t *testing.T) {
	g := newGate()
	srv := sparktest.New(g.job, "etl", "pw")
	defer srv.Close()
	r := run("matih-wf-run-extract")
	var beats atomic.Int32
	r.Beat = func(string) {
		if beats.Add(1) == 3 {
			close(g.release)
		}
	}
	b, err := spark.RunToEnd(context.Background(), client(t, srv), r)
	require.NoError(t, err)
	assert.Equal(t, spark.StateSuccess, b.State)
	assert.GreaterOrEqual(t, beats.Load(), int32(3))
	require.Len(t, srv.Submitted(), 1)
	assert.Equal(t, "matih-wf-run-extract", srv.Submitted()[0].Name)
}

func TestARetryReattachesToItsRunningBatch(t *testing.T) {
	g := newGate()
	srv := sparktest.New(g.job, "etl", "pw")
	defer srv.Close()
	l := client(t, srv)
	ctx, stop := context.WithCancel(context.Background())
	r := run("matih-wf-run-extract")
	r.Beat = func(state string) {
		if state == spark.StateRunning {
			stop() // the worker shuts down while the job runs
		}
	}
	r.Cancelled = func() bool { return false }
	_, err := spark.RunToEnd(ctx, l, r)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, srv.Deleted(), "a shutdown leaves the batch running")
	assert.Equal(t, spark.StateRunning, srv.StateOf(0))

	fresh := false
	r2 := run("matih-wf-run-extract")
	r2.Fresh = func(context.Context) error { fresh = true; return nil }
	r2.Beat = func(string) {
		select {
		case <-g.release:
		default:
			close(g.release)
		}
	}
	b, err := spark.RunToEnd(context.Background(), l, r2)
	require.NoError(t, err)
	assert.Equal(t, 0, b.ID, "the retry found batch 0 by its name")
	assert.Len(t, srv.Submitted(), 1, "submitted once")
	assert.False(t, fresh, "a re-attached batch keeps its output")
	assert.Equal(t, int32(1), g.runs.Load())
}

func TestACancelDeletesTheBatch(t *testing.T) {
	g := newGate()
	srv := sparktest.New(g.job, "", "")
	defer srv.Close()
	ctx, stop := context.WithCancel(context.Background())
	r := run("matih-wf-run-extract")
	r.Beat = func(state string) {
		if state == spark.StateRunning {
			stop()
		}
	}
	r.Cancelled = func() bool { return true }
	_, err := spark.RunToEnd(ctx, client(t, srv), r)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []int{0}, srv.Deleted())
	assert.Eventually(t, func() bool { return g.killed.Load() == 1 }, 2*time.Second, 5*time.Millisecond, "the job was stopped")
}

func TestAFailedJobCarriesTheEndOfItsLog(t *testing.T) {
	g := newGate()
	g.fail = errors.New("java.io.FileNotFoundException: s3a://lake/orders/ does not exist")
	close(g.release)
	srv := sparktest.New(g.job, "", "")
	defer srv.Close()
	_, err := spark.RunToEnd(context.Background(), client(t, srv), run("matih-wf-run-extract"))
	var failed *spark.JobFailedError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, spark.StateDead, failed.State)
	assert.Contains(t, err.Error(), "wrote 1 file")
	assert.Contains(t, err.Error(), "FileNotFoundException: s3a://lake/orders/ does not exist")
}

func TestServerErrorsAreTransientAndUnknownBatchesAreNotFound(t *testing.T) {
	g := newGate()
	close(g.release)
	srv := sparktest.New(g.job, "etl", "pw")
	defer srv.Close()
	l := client(t, srv)
	srv.Fail(http.StatusInternalServerError)
	_, err := spark.RunToEnd(context.Background(), l, run("a"))
	var se *spark.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 500, se.Code)
	assert.Empty(t, srv.Submitted(), "nothing was submitted")

	_, err = l.State(context.Background(), 42)
	assert.True(t, spark.IsNotFound(err), "%v", err)
	assert.NoError(t, l.Kill(context.Background(), 42), "deleting a batch Livy forgot is done already")

	bad, err := spark.NewLivy(spark.LivyConfig{URL: srv.URL, Username: "etl", Password: "wrong"})
	require.NoError(t, err)
	_, err = spark.RunToEnd(context.Background(), bad, run("b"))
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusUnauthorized, se.Code)

	srv.Delay(20 * time.Millisecond)
	b, err := spark.RunToEnd(context.Background(), l, run("c"))
	require.NoError(t, err, "slow answers are waited for")
	assert.Equal(t, spark.StateSuccess, b.State)
}

func TestJobNamesAreDeterministicAndBounded(t *testing.T) {
	a := spark.JobName("orders-2026-12-01", "0192-run", "extract")
	assert.Equal(t, "matih-orders-2026-12-01-0192-run-extract", a)
	assert.Equal(t, a, spark.JobName("orders-2026-12-01", "0192-run", "extract"))
	long := spark.JobName(string(make([]byte, 300)), "run", "p-2026-01-01T00")
	assert.LessOrEqual(t, len(long), 100)
	assert.NotEqual(t, long, spark.JobName(string(make([]byte, 300)), "run", "p-2026-01-01T01"))
	assert.Regexp(t, `^[A-Za-z0-9_.-]+$`, spark.JobName("a b/c", "r", "x;y"))
}
