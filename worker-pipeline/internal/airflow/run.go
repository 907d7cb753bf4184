package airflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// RunToEnd triggers the run (or finds it) and polls until it ends, calling beat with
// the state on every poll so the activity heartbeats and notices cancellation.
// A trigger or poll that fails with an answer that can pass is tried again for
// PollPatience: one webserver blip should not cost one of the step's few attempts.
//
// When ctx ends, the DAG run is marked failed only if cancelled() says the workflow
// asked for it. A worker shutdown, the activity's deadline or a lost heartbeat
// leave it running, so the retry re-attaches to it by its run id.
func (c *Client) RunToEnd(ctx context.Context, dagID, runID string, conf map[string]any, every time.Duration, beat func(state string), cancelled func() bool) (DAGRun, error) {
	t := time.NewTicker(every)
	defer t.Stop()
	run, err := c.triggerPatiently(ctx, t.C, dagID, runID, conf, beat)
	if err != nil {
		return run, Classify(dagID, err)
	}
	polls := c.patience()
	for {
		if beat != nil {
			beat(run.State)
		}
		switch run.State {
		case StateSuccess:
			return run, nil
		case StateFailed:
			tasks, terr := c.FailedTasks(ctx, dagID, runID)
			msg := "unknown tasks"
			if terr == nil && len(tasks) > 0 {
				msg = "failed tasks: " + strings.Join(tasks, ", ")
			}
			return run, &RunFailedError{DAGID: dagID, RunID: runID, Detail: msg}
		}
		select {
		case <-ctx.Done():
			return run, c.ended(ctx, dagID, runID, cancelled)
		case <-t.C:
		}
		next, err := c.Get(ctx, dagID, runID)
		switch {
		case err == nil:
			run = next
			polls.reset()
		case ctx.Err() != nil:
			return run, c.ended(ctx, dagID, runID, cancelled)
		case polls.allows(err):
		default:
			return run, Classify(dagID, err)
		}
	}
}

// triggerPatiently triggers the run, trying again on every tick for PollPatience
// while Airflow's answers can pass. The run id makes a repeated trigger safe: a
// trigger that reached Airflow before its answer was lost comes back as 409, the
// existing run.
func (c *Client) triggerPatiently(ctx context.Context, tick <-chan time.Time, dagID, runID string, conf map[string]any, beat func(string)) (DAGRun, error) {
	tries := c.patience()
	for {
		run, err := c.Trigger(ctx, dagID, runID, conf)
		if err == nil || ctx.Err() != nil || !tries.allows(err) {
			return run, err
		}
		if beat != nil {
			beat("")
		}
		select {
		case <-ctx.Done():
			return run, err
		case <-tick:
		}
	}
}

// patience tracks one kind of call failing in a row: it allows another try while
// the failures can pass and have lasted less than PollPatience.
type patience struct {
	limit time.Duration
	since time.Time // when the failures began; zero while the calls succeed
}

func (c *Client) patience() *patience {
	if c.cfg.PollPatience > 0 {
		return &patience{limit: c.cfg.PollPatience}
	}
	return &patience{limit: DefaultPollPatience}
}

func (p *patience) allows(err error) bool {
	if !transient(err) {
		return false
	}
	if p.since.IsZero() {
		p.since = time.Now()
	}
	return time.Since(p.since) < p.limit
}

func (p *patience) reset() { p.since = time.Time{} }

// transient tells an answer that a later poll may not get: a server error, 429,
// 408, or no answer at all.
func transient(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code >= 500 || se.Code == http.StatusTooManyRequests || se.Code == http.StatusRequestTimeout
	}
	return true
}

// ended handles the end of ctx: a cancelled pipeline stops its DAG run too, or it
// would go on transforming data nobody will load; anything else leaves it running.
func (c *Client) ended(ctx context.Context, dagID, runID string, cancelled func() bool) error {
	if cancelled != nil && cancelled() {
		c.stop(dagID, runID)
	}
	return ctx.Err()
}

// RunFailedError is a DAG run that ended failed: retrying the activity would only
// find the same failed run, so it is not retryable.
type RunFailedError struct {
	DAGID, RunID, Detail string
}

func (e *RunFailedError) Error() string {
	return fmt.Sprintf("airflow DAG %s run %s failed (%s)", e.DAGID, e.RunID, e.Detail)
}

// stop marks a DAG run failed (PATCH dagRuns/{id} {"state": "failed"}), on its own
// short deadline because the caller's context is already cancelled.
func (c *Client) stop(dagID, runID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.do(ctx, "PATCH", c.path("dags", dagID, "dagRuns", runID), map[string]string{"state": StateFailed}, nil)
}
