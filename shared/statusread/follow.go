package statusread

import (
	"context"
	"errors"
	"fmt"

	"github.com/matih/ops/shared/status"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// WaitChange blocks until the run's history holds an event past `after`, the run
// closes, or ctx ends. It long-polls from where the last call stopped and folds what
// it reads into the cache, so following a run costs the new events only, and the next
// BuildWith with this cache reads no history at all.
func (c *Cache) WaitChange(ctx context.Context, cl client.Client, namespace, workflowID, runID string, after int64) error {
	if runID == "" {
		return errors.New("status: WaitChange needs the run id")
	}
	f := c.folder(runID)
	for f.Last() <= after {
		token := c.token(runID)
		resp, err := cl.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace: namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
			WaitNewEvent: true, NextPageToken: token, HistoryEventFilterType: enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("follow workflow %q: %w", workflowID, err)
		}
		if err := f.Add(resp.GetHistory().GetEvents()); errors.Is(err, status.ErrGap) {
			f = c.reset(runID) // start over from the first event with no token
			continue
		}
		next := resp.GetNextPageToken()
		c.setToken(runID, next)
		if len(next) == 0 {
			return nil // the run closed: its history is complete
		}
	}
	return nil
}

func (c *Cache) token(runID string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens[runID]
}

func (c *Cache) setToken(runID string, t []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.runs[runID]; ok {
		c.tokens[runID] = t
	}
}
