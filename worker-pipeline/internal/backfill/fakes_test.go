package backfill

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/partition/plan"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/contract"
)

// fakeProcessor stands in for process_partition: it records which partitions each
// task received and how many tasks overlapped, so the workflow's own decisions can
// be checked without a source or a table.
type fakeProcessor struct {
	mu          sync.Mutex
	seen        map[int]int
	batches     []int
	modes       []string
	running     int
	maxRunning  int
	cost        time.Duration
	reported    time.Duration   // when set, each done partition reports this much work instead of sleeping cost
	commit      time.Duration   // reported per batch that did a partition, shared among its done ones
	failKeys    map[string]bool // fail for good
	retryOnce   map[string]bool // fail the batch once, then succeed
	skipKeys    map[string]bool // reported skipped (as reprocess modes do)
	onBatch     func(in contract.PartitionBatch)
	retried     map[string]bool
	finishedAll int
	sent        []contract.PartitionBatch // each task's input as it came
}

func newFake() *fakeProcessor {
	return &fakeProcessor{seen: map[int]int{}, failKeys: map[string]bool{}, retryOnce: map[string]bool{}, skipKeys: map[string]bool{}, retried: map[string]bool{}}
}

func rowsFor(i int) int64 { return int64(10 + i%7) }

// process answers a ranged batch in ranges, as process_partition does.
func (f *fakeProcessor) process(ctx context.Context, in contract.PartitionBatch) (contract.BatchResult, error) {
	parts, err := plan.Expand(in)
	if err != nil {
		return contract.BatchResult{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeValidation, err)
	}
	ranged := in.Ranged()
	f.mu.Lock()
	f.sent = append(f.sent, in)
	f.mu.Unlock()
	in.Partitions = parts
	out, err := f.processListed(ctx, in)
	if ranged && err == nil {
		out = out.Compacted()
	}
	return out, err
}

func (f *fakeProcessor) processListed(ctx context.Context, in contract.PartitionBatch) (contract.BatchResult, error) {
	f.mu.Lock()
	f.running++
	f.maxRunning = max(f.maxRunning, f.running)
	f.batches = append(f.batches, len(in.Partitions))
	f.modes = append(f.modes, in.Reprocess)
	hook := f.onBatch
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()
	if hook != nil {
		hook(in)
	}
	var out contract.BatchResult
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &out)
	}
	for _, p := range in.Partitions[len(out.Results):] {
		f.mu.Lock()
		cost, reported := f.cost, f.reported
		f.mu.Unlock()
		if reported > 0 {
			cost = reported - time.Millisecond
		} else {
			time.Sleep(cost)
		}
		f.mu.Lock()
		retry := f.retryOnce[p.Key] && !f.retried[p.Key]
		if retry {
			f.retried[p.Key] = true
		}
		fail, skip := f.failKeys[p.Key], f.skipKeys[p.Key]
		if !retry && !fail && !skip {
			f.seen[p.Index]++
		}
		f.mu.Unlock()
		switch {
		case retry:
			activity.RecordHeartbeat(ctx, out)
			return out, errors.New("source connection reset")
		case fail:
			out.Results = append(out.Results, contract.PartitionResult{Partition: p, Status: contract.PartitionFailed, Error: "bad row in " + p.Key, Attempts: 1})
		case skip:
			out.Results = append(out.Results, contract.PartitionResult{Partition: p, Status: contract.PartitionSkipped, Attempts: 1})
		default:
			out.Results = append(out.Results, contract.PartitionResult{Partition: p, Status: contract.PartitionDone, Rows: rowsFor(p.Index),
				Duration: contract.Duration(cost + time.Millisecond), Attempts: int(activity.GetInfo(ctx).Attempt)})
		}
		activity.RecordHeartbeat(ctx, out)
	}
	f.addCommit(&out)
	return out, nil
}

// addCommit reports the batch's commit and gives each done partition its share, as
// process_partition does.
func (f *fakeProcessor) addCommit(out *contract.BatchResult) {
	f.mu.Lock()
	commit := f.commit
	f.mu.Unlock()
	var done []int
	for i, r := range out.Results {
		if r.Status == contract.PartitionDone {
			done = append(done, i)
		}
	}
	if commit == 0 || len(done) == 0 {
		return
	}
	out.Commit = contract.Duration(commit)
	for _, i := range done {
		out.Results[i].Duration += contract.Duration(commit / time.Duration(len(done)))
	}
}

func (f *fakeProcessor) register(env interface {
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}) {
	env.RegisterActivityWithOptions(f.process, activity.RegisterOptions{Name: contract.ActivityProcessPartition})
}

var errPermanent = temporal.NewNonRetryableApplicationError("source table is gone", contract.ErrTypeValidation, nil)
