package spark

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Submitter is what running a job needs from a Spark service. Livy implements it;
// Spark Connect or the Kubernetes Spark Operator would sit beside it.
type Submitter interface {
	// Find returns the job named name if the service still knows it.
	Find(ctx context.Context, name string) (Batch, bool, error)
	Submit(ctx context.Context, req BatchRequest) (Batch, error)
	State(ctx context.Context, id int) (string, error)
	LogTail(ctx context.Context, id, n int) ([]string, error)
	Kill(ctx context.Context, id int) error
}

// JobFailedError is a job that ended dead, killed or in error. Retrying would run
// the same job on the same data, so it is not retried as a transient failure.
type JobFailedError struct {
	Name  string
	ID    int
	State string
	Log   []string // the last lines of its log
}

func (e *JobFailedError) Error() string {
	msg := fmt.Sprintf("spark job %s (batch %d) ended %s", e.Name, e.ID, e.State)
	if len(e.Log) > 0 {
		msg += "; last lines of its log:\n" + strings.Join(e.Log, "\n")
	}
	return msg
}

// logTail is how many log lines a failure carries.
const logTail = 20

// Run is one job to run to its end.
type Run struct {
	Request BatchRequest // Name must be deterministic: see JobName
	Every   time.Duration
	// Beat is called on every poll with the state, so the activity heartbeats.
	Beat func(state string)
	// Cancelled tells, once ctx ended, whether the workflow asked for it.
	Cancelled func() bool
	// Fresh is called before a new batch is submitted (not when one is re-attached),
	// so a dead attempt's partial output can be cleared.
	Fresh func(ctx context.Context) error
}

// RunToEnd re-attaches to the job by its name, or submits it, and polls until it
// ends. When ctx ends the batch is killed only if the workflow cancelled: a worker
// shutdown, the deadline or a lost heartbeat leave it running, so the retry finds it.
func RunToEnd(ctx context.Context, s Submitter, r Run) (Batch, error) {
	b, found, err := s.Find(ctx, r.Request.Name)
	if err != nil {
		return b, err
	}
	if !found {
		if r.Fresh != nil {
			if err := r.Fresh(ctx); err != nil {
				return b, err
			}
		}
		if b, err = s.Submit(ctx, r.Request); err != nil {
			// Two attempts racing: Livy refuses the second name; take the first's batch.
			if b2, ok, ferr := s.Find(ctx, r.Request.Name); ferr == nil && ok {
				b, err = b2, nil
			}
		}
		if err != nil {
			return b, err
		}
	}
	t := time.NewTicker(max(r.Every, 10*time.Millisecond))
	defer t.Stop()
	for {
		if r.Beat != nil {
			r.Beat(b.State)
		}
		if ended, ok := Ended(b.State); ended {
			if ok {
				return b, nil
			}
			lines, _ := s.LogTail(context.WithoutCancel(ctx), b.ID, logTail)
			return b, &JobFailedError{Name: r.Request.Name, ID: b.ID, State: b.State, Log: lines}
		}
		select {
		case <-ctx.Done():
			return b, ended(s, b.ID, r.Cancelled, ctx.Err())
		case <-t.C:
		}
		state, err := s.State(ctx, b.ID)
		switch {
		case ctx.Err() != nil:
			return b, ended(s, b.ID, r.Cancelled, ctx.Err())
		case IsNotFound(err):
			// Livy lost the batch (a server restart without recovery, or a delete):
			// the job's outcome is unknown, so the attempt fails and the retry resubmits.
			return b, fmt.Errorf("spark job %s: livy no longer knows batch %d: %w", r.Request.Name, b.ID, err)
		case err != nil:
			return b, err
		}
		b.State = state
	}
}

// ended stops the batch when the workflow cancelled, on its own short deadline.
func ended(s Submitter, id int, cancelled func() bool, cause error) error {
	if cancelled != nil && cancelled() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Kill(ctx, id); err != nil {
			return errors.Join(cause, fmt.Errorf("could not delete batch %d: %w", id, err))
		}
	}
	return cause
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// JobName is a job's deterministic name: the workflow, its run and the step (or
// partition), so every retry of that step finds the same batch. Long names are
// cut and given a hash of the whole, keeping them unique.
func JobName(workflowID, runID, step string) string {
	name := "matih-" + unsafeName.ReplaceAllString(workflowID+"-"+runID+"-"+step, "_")
	if len(name) <= 100 {
		return name
	}
	sum := sha256.Sum256([]byte(workflowID + "\x00" + runID + "\x00" + step))
	return name[:83] + "-" + hex.EncodeToString(sum[:8])
}
