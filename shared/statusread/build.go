package statusread

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/matih/ops/shared/status"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
)

// DefaultQueryTimeout bounds how long Build waits for a worker to answer the status
// query; with every worker down the document still comes back, from history only.
const DefaultQueryTimeout = 2 * time.Second

// Options tune Build.
type Options struct {
	// QueryTimeout bounds the status query; 0 means DefaultQueryTimeout, <0 skips it.
	QueryTimeout time.Duration
	// Cache, when set, keeps each run folded between calls, so a call reads only the
	// events added since the last one. Namespace must then name the client's namespace.
	Cache     *Cache
	Namespace string
	// DataConverter reads history's payloads: the client's, which decrypts them when
	// the codec is on. Nil reads plain JSON. A Cache brings its own.
	DataConverter converter.DataConverter
}

// Build assembles the status document of one execution (latest run when runID is
// empty) from describe and history, then enriches it with the workflow's own `status`
// query when a worker answers in time.
func Build(ctx context.Context, c client.Client, workflowID, runID string) (status.Document, error) {
	return BuildWith(ctx, c, workflowID, runID, Options{})
}

// BuildWith is Build with options. With a Cache, concurrent calls for the same run
// share one build: they get the same document, as fresh as the call that started it.
func BuildWith(ctx context.Context, c client.Client, workflowID, runID string, opts Options) (status.Document, error) {
	if opts.Cache == nil {
		return build(ctx, c, workflowID, runID, opts)
	}
	v, err, _ := opts.Cache.flight.Do(workflowID+"\x00"+runID, func() (any, error) {
		// Not the first caller's cancellation: the others are waiting on this build.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedBuildTimeout)
		defer cancel()
		return build(bctx, c, workflowID, runID, opts)
	})
	doc, _ := v.(status.Document)
	if err != nil {
		return status.Document{}, err
	}
	return doc.Clone(), nil
}

// sharedBuildTimeout bounds a build that several callers wait on.
const sharedBuildTimeout = 15 * time.Second

func build(ctx context.Context, c client.Client, workflowID, runID string, opts Options) (status.Document, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, workflowID, runID)
	if err != nil {
		return status.Document{}, fmt.Errorf("describe workflow %q: %w", workflowID, err)
	}
	runID = desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	fold, err := foldOf(ctx, c, workflowID, runID, desc.GetWorkflowExecutionInfo().GetHistoryLength(), opts)
	if err != nil {
		return status.Document{}, err
	}
	doc := fold.Document(desc, time.Now())
	if opts.QueryTimeout >= 0 {
		timeout := opts.QueryTimeout
		if timeout == 0 {
			timeout = DefaultQueryTimeout
		}
		queue := desc.GetExecutionConfig().GetTaskQueue().GetName()
		if !queueAnswers(ctx, c, queue) {
			return doc, nil // nobody polls the queue: the query could only time out
		}
		if q, ok := queryStatus(ctx, c, workflowID, runID, timeout); ok {
			status.Merge(&doc, q)
		}
	}
	return doc, nil
}

// foldOf returns the run folded up to at least upTo events: from the cache, caught up
// with what was added since, or read whole when there is no cache.
func foldOf(ctx context.Context, c client.Client, workflowID, runID string, upTo int64, opts Options) (*status.Folder, error) {
	if opts.Cache == nil {
		f := status.NewFolder()
		if opts.DataConverter != nil {
			f = status.NewFolderWith(opts.DataConverter)
		}
		return f, readForward(ctx, c, workflowID, runID, f)
	}
	f := opts.Cache.folder(runID)
	err := catchUp(ctx, c, opts.Namespace, workflowID, runID, f, upTo)
	if errors.Is(err, status.ErrGap) {
		f = opts.Cache.reset(runID)
		err = readForward(ctx, c, workflowID, runID, f)
	}
	return f, err
}

// pollerFresh is how recently a poller must have polled to count as alive: longer
// than one long poll, so a worker waiting in its poll is not mistaken for gone.
const pollerFresh = 70 * time.Second

// queueAnswers tells whether a worker polls the queue's workflow tasks, so a query
// can be answered. Without one, a query only waits out its timeout (2 s where
// history alone answers in milliseconds). When the server cannot say, it is tried.
func queueAnswers(ctx context.Context, c client.Client, queue string) bool {
	if queue == "" {
		return true
	}
	resp, err := c.DescribeTaskQueue(ctx, queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return true
	}
	for _, p := range resp.GetPollers() {
		if time.Since(p.GetLastAccessTime().AsTime()) < pollerFresh {
			return true
		}
	}
	return false
}

// queryStatus asks the workflow for its own document; any error means "no worker
// answered" and the caller keeps the history view.
func queryStatus(ctx context.Context, c client.Client, workflowID, runID string, timeout time.Duration) (status.Document, bool) {
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, workflowID, runID, contract.QueryStatus)
	if err != nil {
		return status.Document{}, false
	}
	var q status.Document
	if err := v.Get(&q); err != nil {
		return status.Document{}, false
	}
	return q, true
}
