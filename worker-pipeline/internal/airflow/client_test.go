package airflow

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/airflow/airflowtest"
)

func newServer(t *testing.T) *airflowtest.Server {
	s := airflowtest.New(map[string]airflowtest.DAG{
		"sales_transform": {Polls: 2},
		"broken":          {Polls: 1, FailTasks: []string{"clean_orders", "join_customers"}},
	})
	t.Cleanup(s.Close)
	return s
}

func TestRunToEndSucceedsOnV1AndV2(t *testing.T) {
	s := newServer(t)
	for _, cfg := range []Config{
		{BaseURL: s.URL, APIVersion: "v1", Username: s.User, Password: s.Password},
		{BaseURL: s.URL, APIVersion: "v2", Username: s.User, Password: s.Password}, // exchanged for a token
		{BaseURL: s.URL, APIVersion: "v2", Token: s.Token},
	} {
		c, err := New(cfg)
		require.NoError(t, err)
		runID := contract.DAGRunID("pipeline-x-"+cfg.APIVersion+cfg.Token, "run")
		var states []string
		run, err := c.RunToEnd(context.Background(), "sales_transform", runID, map[string]any{"input_path": "/s"}, time.Millisecond, func(s string) { states = append(states, s) }, nil)
		require.NoError(t, err)
		assert.Equal(t, StateSuccess, run.State)
		assert.Equal(t, []string{"queued", "running", "running", "success"}, states)
		conf, ok := s.Run("sales_transform", runID)
		require.True(t, ok)
		assert.Equal(t, "/s", conf["input_path"])
	}
}

func TestConflictFindsTheExistingRun(t *testing.T) {
	s := newServer(t)
	c, _ := New(Config{BaseURL: s.URL, Username: s.User, Password: s.Password})
	_, err := c.RunToEnd(context.Background(), "sales_transform", "matih__wf", nil, time.Millisecond, nil, nil)
	require.NoError(t, err)
	run, err := c.RunToEnd(context.Background(), "sales_transform", "matih__wf", nil, time.Millisecond, nil, nil)
	require.NoError(t, err, "a retry after a crash finds its own run")
	assert.Equal(t, StateSuccess, run.State)
	assert.Equal(t, 1, s.Triggers)
}

func TestFailedRunNamesFailedTasks(t *testing.T) {
	s := newServer(t)
	c, _ := New(Config{BaseURL: s.URL, Token: s.Token, APIVersion: "v2"})
	_, err := c.RunToEnd(context.Background(), "broken", "matih__wf", nil, time.Millisecond, nil, nil)
	var rf *RunFailedError
	require.True(t, errors.As(err, &rf))
	assert.Contains(t, err.Error(), "clean_orders, join_customers")
}

func TestErrorAnswers(t *testing.T) {
	s := newServer(t)
	bad, _ := New(Config{BaseURL: s.URL, Username: s.User, Password: "wrong"})
	_, err := bad.RunToEnd(context.Background(), "sales_transform", "r", nil, time.Millisecond, nil, nil)
	var pd *contract.PermissionDeniedError
	require.True(t, errors.As(err, &pd), "401 is PermissionDenied: %v", err)
	assert.NotContains(t, err.Error(), "wrong", "the password never appears")

	c, _ := New(Config{BaseURL: s.URL, Username: s.User, Password: s.Password})
	_, err = c.RunToEnd(context.Background(), "nope", "r", nil, time.Millisecond, nil, nil)
	var ve *contract.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "transform_dag", ve.Field)

	_, err = New(Config{BaseURL: "ftp://x", APIVersion: "v1"})
	assert.ErrorContains(t, err, "airflow-url")
	_, err = New(Config{BaseURL: "http://x", APIVersion: "v9"})
	assert.ErrorContains(t, err, "airflow-api")
}

func TestServerDownIsRetryable(t *testing.T) {
	s := newServer(t)
	c, _ := New(Config{BaseURL: s.URL, Token: s.Token, PollPatience: 50 * time.Millisecond})
	s.Close()
	_, err := c.RunToEnd(context.Background(), "sales_transform", "r", nil, time.Millisecond, nil, nil)
	require.Error(t, err)
	var pd *contract.PermissionDeniedError
	var ve *contract.ValidationError
	assert.False(t, errors.As(err, &pd) || errors.As(err, &ve), "a connection error stays retryable")
}

func TestExpiredTokenLogsInAgain(t *testing.T) {
	s := newServer(t)
	c, err := New(Config{BaseURL: s.URL, APIVersion: "v2", Username: s.User, Password: s.Password})
	require.NoError(t, err)
	_, err = c.RunToEnd(context.Background(), "sales_transform", "matih__a", nil, time.Millisecond, nil, nil)
	require.NoError(t, err)
	s.ExpireToken()
	_, err = c.RunToEnd(context.Background(), "sales_transform", "matih__b", nil, time.Millisecond, nil, nil)
	require.NoError(t, err, "the client fetched a new token instead of failing with 401")
}

func TestCancelStopsTheDAGRun(t *testing.T) {
	s := airflowtest.New(map[string]airflowtest.DAG{"slow": {Polls: 1000}})
	defer s.Close()
	c, _ := New(Config{BaseURL: s.URL, Username: s.User, Password: s.Password})
	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	_, err := c.RunToEnd(ctx, "slow", "matih__c", nil, time.Millisecond, func(string) {
		if polls++; polls == 3 {
			cancel()
		}
	}, func() bool { return true })
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "failed", s.State("slow", "matih__c"), "the DAG run was marked failed, not left running")
}

func TestAnEndThatIsNotACancellationLeavesTheDAGRunRunning(t *testing.T) {
	s := airflowtest.New(map[string]airflowtest.DAG{"slow": {Polls: 1000}})
	defer s.Close()
	c, _ := New(Config{BaseURL: s.URL, Username: s.User, Password: s.Password})
	for name, end := range map[string]func() (context.Context, context.CancelFunc){
		"worker shutdown": func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		"deadline": func() (context.Context, context.CancelFunc) {
			// Long enough for the trigger on a loaded machine, short of the DAG's 1000 polls.
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		},
	} {
		runID := "matih__" + strings.ReplaceAll(name, " ", "_")
		ctx, cancel := end()
		polls := 0
		_, err := c.RunToEnd(ctx, "slow", runID, nil, time.Millisecond, func(string) {
			if polls++; polls == 3 && name == "worker shutdown" {
				cancel()
			}
		}, func() bool { return false })
		cancel()
		require.Error(t, err, name)
		assert.NotEqual(t, "failed", s.State("slow", runID), "%s: the DAG run keeps running for the retry to re-attach", name)
		run, err := c.Get(context.Background(), "slow", runID)
		require.NoError(t, err)
		assert.Equal(t, runID, run.DAGRunID)
	}
}
