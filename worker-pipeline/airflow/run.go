package airflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RunToEnd triggers the run (or finds it) and polls until it ends, calling beat with
// the state on every poll so the activity heartbeats and notices cancellation.
func (c *Client) RunToEnd(ctx context.Context, dagID, runID string, conf map[string]any, every time.Duration, beat func(state string)) (DAGRun, error) {
	run, err := c.Trigger(ctx, dagID, runID, conf)
	if err != nil {
		return run, Classify(dagID, err)
	}
	t := time.NewTicker(every)
	defer t.Stop()
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
			// The pipeline was cancelled: stop the DAG run too, or it would go on
			// transforming data nobody will load.
			c.stop(dagID, runID)
			return run, ctx.Err()
		case <-t.C:
		}
		if run, err = c.Get(ctx, dagID, runID); err != nil {
			if ctx.Err() != nil {
				c.stop(dagID, runID)
				return run, ctx.Err()
			}
			return run, Classify(dagID, err)
		}
	}
}

// RunFailedError is a DAG run that ended failed: retrying the activity would only
// find the same failed run, so it is not retryable.
type RunFailedError struct {
	DAGID, RunID, Detail string
}

func (e *RunFailedError) Error() string {
	return fmt.Sprintf("airflow DAG %s run %s failed (%s)", e.DAGID, e.RunID, e.Detail)
}

// RunID is the deterministic dag_run_id of a pipeline run.
func RunID(workflowID string) string { return "matih__" + workflowID }

// stop marks a DAG run failed (PATCH dagRuns/{id} {"state": "failed"}), on its own
// short deadline because the caller's context is already cancelled.
func (c *Client) stop(dagID, runID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.do(ctx, "PATCH", c.path("dags", dagID, "dagRuns", runID), map[string]string{"state": StateFailed}, nil)
}
