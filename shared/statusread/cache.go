package statusread

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"go.temporal.io/sdk/converter"

	"github.com/matih/ops/shared/status"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/singleflight"
)

// DefaultCacheRuns is how many runs a Cache keeps folded when NewCache is given 0.
const DefaultCacheRuns = 1024

// Cache keeps one status.Folder per run, for readers that live long (matih serve, the
// console), so that a document asked for again reads only the events added since the
// last time, and none at all when describe shows the history has not grown. The least
// recently used run is dropped first. A Cache is safe for concurrent use.
type Cache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of runID, most recent first
	runs  map[string]*list.Element
	folds map[string]*status.Folder
	// tokens hold where WaitChange's long poll stopped, per run.
	tokens map[string][]byte
	// flight lets concurrent requests for one run share one build, and so one status
	// query: a worker answers queries for a run one at a time.
	flight singleflight.Group
	dc     converter.DataConverter
}

// NewCache keeps at most maxRuns folds (DefaultCacheRuns when 0), reading history's
// payloads with dc (the client's data converter; nil: plain JSON).
func NewCache(maxRuns int, dc converter.DataConverter) *Cache {
	if maxRuns <= 0 {
		maxRuns = DefaultCacheRuns
	}
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	return &Cache{dc: dc, max: maxRuns, order: list.New(), runs: map[string]*list.Element{}, folds: map[string]*status.Folder{}, tokens: map[string][]byte{}}
}

// Len is the number of runs held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.folds)
}

// folder returns the run's fold, starting an empty one on a miss.
func (c *Cache) folder(runID string) *status.Folder {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.runs[runID]; ok {
		c.order.MoveToFront(el)
		return c.folds[runID]
	}
	f := status.NewFolderWith(c.dc)
	c.runs[runID], c.folds[runID] = c.order.PushFront(runID), f
	for c.order.Len() > c.max {
		old := c.order.Remove(c.order.Back()).(string)
		delete(c.runs, old)
		delete(c.folds, old)
		delete(c.tokens, old)
	}
	return f
}

// reset replaces a run's fold with an empty one, after a gap.
func (c *Cache) reset(runID string) *status.Folder {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := status.NewFolderWith(c.dc)
	if _, ok := c.runs[runID]; ok {
		c.folds[runID] = f
		delete(c.tokens, runID)
	}
	return f
}

// catchUp folds the events of the run that f has not seen, up to at least upTo. A
// fold that has seen nothing reads history forward once; one that has reads history
// backwards from the newest event until it meets what it knows, so the cost is the
// number of new events, not the length of the history.
func catchUp(ctx context.Context, c client.Client, namespace, workflowID, runID string, f *status.Folder, upTo int64) error {
	last := f.Last()
	if last >= upTo {
		return nil
	}
	if last == 0 {
		return readForward(ctx, c, workflowID, runID, f)
	}
	var newest []*historypb.HistoryEvent // newest first
	var token []byte
	for {
		resp, err := c.WorkflowService().GetWorkflowExecutionHistoryReverse(ctx, &workflowservice.GetWorkflowExecutionHistoryReverseRequest{
			Namespace: namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
			MaximumPageSize: pageFor(upTo - last), NextPageToken: token,
		})
		if err != nil {
			return fmt.Errorf("history of workflow %q: %w", workflowID, err)
		}
		met := false
		for _, ev := range resp.GetHistory().GetEvents() {
			if ev.GetEventId() <= last {
				met = true
				break
			}
			newest = append(newest, ev)
		}
		token = resp.GetNextPageToken()
		if met || len(token) == 0 {
			break
		}
	}
	for i, j := 0, len(newest)-1; i < j; i, j = i+1, j-1 {
		newest[i], newest[j] = newest[j], newest[i]
	}
	return f.Add(newest)
}

// pageFor sizes a reverse page to the expected number of new events, within bounds.
func pageFor(n int64) int32 {
	switch {
	case n < 16:
		return 16
	case n > 1000:
		return 1000
	}
	return int32(n)
}

func readForward(ctx context.Context, c client.Client, workflowID, runID string, f *status.Folder) error {
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var page []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return fmt.Errorf("history of workflow %q: %w", workflowID, err)
		}
		page = append(page, ev)
		if len(page) == 256 {
			if err := f.Add(page); err != nil {
				return err
			}
			page = page[:0]
		}
	}
	return f.Add(page)
}
