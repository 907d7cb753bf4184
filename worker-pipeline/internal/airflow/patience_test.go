package airflow

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/worker-pipeline/internal/airflow/airflowtest"
)

// TestPollsRideOutAShortOutage: Airflow answers 500, then 429, to every poll for a
// while after the run was triggered, or 503 to the trigger; the attempt goes on and
// ends with the run's success. An outage longer than the patience still ends the attempt, with
// Airflow's answer, for the activity's retry to take up.
func TestPollsRideOutAShortOutage(t *testing.T) {
	s := airflowtest.New(map[string]airflowtest.DAG{"sales_transform": {Polls: 20}})
	t.Cleanup(s.Close)
	proxy := testkit.StartFaultProxy(t, s.URL)
	c, err := New(Config{BaseURL: proxy.URL, Token: s.Token, PollPatience: time.Second})
	require.NoError(t, err)

	var beats int
	beat := func(string) {
		beats++
		switch beats {
		case 2:
			proxy.Fail(http.StatusInternalServerError, 200*time.Millisecond)
		case 8:
			proxy.Fail(http.StatusTooManyRequests, 200*time.Millisecond)
		}
	}
	run, err := c.RunToEnd(context.Background(), "sales_transform", "r-blip", nil, 20*time.Millisecond, beat, nil)
	require.NoError(t, err)
	assert.Equal(t, StateSuccess, run.State)
	assert.Positive(t, proxy.Refused(), "polls met the outage")

	// The trigger itself meets the outage.
	before := proxy.Refused()
	proxy.Fail(http.StatusServiceUnavailable, 200*time.Millisecond)
	run, err = c.RunToEnd(context.Background(), "sales_transform", "r-trigger", nil, 20*time.Millisecond, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, StateSuccess, run.State)
	assert.Greater(t, proxy.Refused(), before, "the trigger met the outage")

	beats = 0
	beat = func(string) {
		if beats++; beats == 2 {
			proxy.Fail(http.StatusBadGateway, 10*time.Second)
		}
	}
	start := time.Now()
	_, err = c.RunToEnd(context.Background(), "sales_transform", "r-down", nil, 20*time.Millisecond, beat, nil)
	require.ErrorContains(t, err, "airflow answered 502")
	assert.Less(t, time.Since(start), 5*time.Second, "the attempt ended after its patience, not with the outage")
}
